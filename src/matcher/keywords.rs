//! The keyword prefilter: every occurrence of every rule keyword, ASCII case-insensitive,
//! overlapping matches included.
//!
//! An Aho-Corasick DFA walked over four slices of the input in lock-step. A DFA step is one
//! table load that depends on the previous one, so a single walk is bound by load latency
//! (~500 MB/s with the aho-corasick and regex-automata DFAs on this project's keywords, see
//! the README's performance notes); four independent walks keep four loads in flight and run
//! several times faster. The table is small (states × byte classes of u32) and built in well
//! under a millisecond, so a scan of one small file starts at once.

use std::collections::VecDeque;

/// Lanes walked in lock-step. Four hides most of the load latency on current x86 cores.
const LANES: usize = 4;
/// Table slots: states × byte classes must fit (checked when building). Indexes are masked to
/// this power of two, so the hot loop needs no bounds check; only the part in use is touched.
const TABLE_SLOTS: usize = 1 << 19;
const SLOT_MASK: u32 = (TABLE_SLOTS - 1) as u32;
/// Below this size a single walk is as fast and simpler.
const MIN_INTERLEAVED: usize = 4096;

/// A keyword occurrence: keyword id and the byte span it covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hit {
    pub keyword: u32,
    pub start: usize,
    pub end: usize,
}

pub struct KeywordSearcher {
    /// Byte → class; upper- and lowercase letters share a class.
    classes: [u8; 256],
    stride: usize,
    /// Transitions, indexed by premultiplied state id + class. State ids are premultiplied by
    /// `stride`; ids at or above `first_match` are states where keywords end.
    table: Box<[u32; TABLE_SLOTS]>,
    first_match: u32,
    /// For match states (indexed by `(id - first_match) / stride`), the keywords ending there.
    outputs: Vec<Vec<u32>>,
    lens: Vec<usize>,
    max_len: usize,
}

impl KeywordSearcher {
    /// `keywords` must be non-empty lowercase ASCII strings.
    pub fn new<S: AsRef<[u8]>>(keywords: &[S]) -> KeywordSearcher {
        // Byte classes: one per distinct (lowercased) keyword byte, class 0 for all others.
        let mut classes = [0u8; 256];
        let mut next_class = 1usize;
        for kw in keywords {
            for &b in kw.as_ref() {
                let b = b.to_ascii_lowercase();
                if classes[b as usize] == 0 {
                    assert!(next_class < 256, "too many distinct keyword bytes");
                    classes[b as usize] = next_class as u8;
                    classes[b.to_ascii_uppercase() as usize] = next_class as u8;
                    next_class += 1;
                }
            }
        }
        let stride = next_class;

        // The trie, flat: goto[state * stride + class], 0 = absent (the root is never a child).
        let mut goto: Vec<u32> = vec![0; stride];
        let mut out: Vec<Vec<u32>> = vec![Vec::new()];
        for (id, kw) in keywords.iter().enumerate() {
            let mut s = 0usize;
            for &b in kw.as_ref() {
                let c = classes[b as usize] as usize;
                if goto[s * stride + c] == 0 {
                    let child = out.len();
                    goto.resize(goto.len() + stride, 0);
                    out.push(Vec::new());
                    goto[s * stride + c] = child as u32;
                }
                s = goto[s * stride + c] as usize;
            }
            out[s].push(id as u32);
        }

        // Breadth-first: failure links, merged outputs, and the full DFA transition table,
        // written over the trie. A state's row still holds only its trie children when it is
        // dequeued, and its failure state is shallower, so already final.
        let n = out.len();
        let mut fail = vec![0u32; n];
        let mut delta = goto;
        let mut queue: VecDeque<usize> = (0..stride)
            .map(|c| delta[c] as usize)
            .filter(|&child| child != 0)
            .collect();
        while let Some(s) = queue.pop_front() {
            let f = fail[s] as usize;
            let inherited = out[f].clone();
            out[s].extend(inherited);
            for c in 0..stride {
                let child = delta[s * stride + c];
                if child != 0 {
                    fail[child as usize] = delta[f * stride + c];
                    queue.push_back(child as usize);
                } else {
                    delta[s * stride + c] = delta[f * stride + c];
                }
            }
        }

        // Renumber: non-match states first, so "is this a match state" is one comparison.
        let mut order: Vec<usize> = (0..n).filter(|&s| out[s].is_empty()).collect();
        let first_match_index = order.len();
        order.extend((0..n).filter(|&s| !out[s].is_empty()));
        let mut new_id = vec![0u32; n];
        for (i, &s) in order.iter().enumerate() {
            new_id[s] = (i * stride) as u32;
        }
        assert!(
            n * stride <= TABLE_SLOTS,
            "keyword automaton too large: {n} states x {stride} classes"
        );
        let mut table: Box<[u32; TABLE_SLOTS]> = vec![0u32; TABLE_SLOTS]
            .into_boxed_slice()
            .try_into()
            .expect("exact length");
        for (i, &s) in order.iter().enumerate() {
            for (c, &to) in delta[s * stride..][..stride].iter().enumerate() {
                table[i * stride + c] = new_id[to as usize];
            }
        }
        let outputs = order[first_match_index..]
            .iter()
            .map(|&s| std::mem::take(&mut out[s]))
            .collect();
        let lens: Vec<usize> = keywords.iter().map(|k| k.as_ref().len()).collect();
        KeywordSearcher {
            classes,
            stride,
            table,
            first_match: (first_match_index * stride) as u32,
            outputs,
            max_len: lens.iter().copied().max().unwrap_or(1),
            lens,
        }
    }

    #[inline(always)]
    fn step(&self, state: u32, byte: u8) -> u32 {
        // Both indexes are in range by construction (masked, and a u8): no bounds checks on
        // the hot path.
        self.table[((state + u32::from(self.classes[byte as usize])) & SLOT_MASK) as usize]
    }

    fn emit(&self, state: u32, end: usize, owned: (usize, usize), out: &mut Vec<Hit>) {
        let idx = ((state - self.first_match) as usize) / self.stride;
        for &k in &self.outputs[idx] {
            let len = self.lens[k as usize];
            let start = end - len;
            // A lane reports only keywords that start inside its own slice.
            if start >= owned.0 && start < owned.1 {
                out.push(Hit {
                    keyword: k,
                    start,
                    end,
                });
            }
        }
    }

    /// The longest keyword's length: an occurrence reaches this far at most.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Every keyword occurrence in `data`, in no particular order.
    pub fn find_all(&self, data: &[u8], out: &mut Vec<Hit>) {
        if data.len() < MIN_INTERLEAVED {
            self.walk_from(data, (0, data.len()), 0, data.len(), 0, out);
            return;
        }
        // Lane i owns starts in [i*part, (i+1)*part) and reads max_len - 1 bytes past its end,
        // so a keyword that starts in its slice is always seen whole.
        let part = data.len().div_ceil(LANES);
        // (first owned start, end of owned starts, end of reading)
        let bounds: [(usize, usize, usize); LANES] = std::array::from_fn(|i| {
            let from = (i * part).min(data.len());
            let owned_to = ((i + 1) * part).min(data.len());
            let to = ((i + 1) * part + self.max_len - 1).min(data.len());
            (from, owned_to, to)
        });
        let common = bounds.iter().map(|b| b.2 - b.0).min().unwrap_or(0);
        let lanes: [&[u8]; LANES] = std::array::from_fn(|i| &data[bounds[i].0..][..common]);
        let fm = self.first_match;
        let mut s = [0u32; LANES];
        // Indexing every lane by the same step is the point: the lanes advance in lock-step.
        #[allow(clippy::needless_range_loop)]
        for step in 0..common {
            for lane in 0..LANES {
                s[lane] = self.step(s[lane], lanes[lane][step]);
            }
            if s.iter().fold(0, |a, &x| a.max(x)) >= fm {
                for lane in 0..LANES {
                    if s[lane] >= fm {
                        let (from, owned_to, _) = bounds[lane];
                        self.emit(s[lane], from + step + 1, (from, owned_to), out);
                    }
                }
            }
        }
        // Each lane finishes its remainder alone.
        for (lane, &(from, owned_to, to)) in bounds.iter().enumerate() {
            self.walk_from(data, (from, owned_to), from + common, to, s[lane], out);
        }
    }

    fn walk_from(
        &self,
        data: &[u8],
        owned: (usize, usize),
        pos: usize,
        to: usize,
        mut state: u32,
        out: &mut Vec<Hit>,
    ) {
        for (i, &b) in data[pos..to].iter().enumerate() {
            state = self.step(state, b);
            if state >= self.first_match {
                self.emit(state, pos + i + 1, owned, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The obvious quadratic search, as the reference.
    fn naive(keywords: &[&str], data: &[u8]) -> Vec<Hit> {
        let mut hits = Vec::new();
        for (k, kw) in keywords.iter().enumerate() {
            let kw = kw.as_bytes();
            if data.len() < kw.len() {
                continue;
            }
            for start in 0..=data.len() - kw.len() {
                if data[start..start + kw.len()].eq_ignore_ascii_case(kw) {
                    hits.push(Hit {
                        keyword: k as u32,
                        start,
                        end: start + kw.len(),
                    });
                }
            }
        }
        hits.sort();
        hits
    }

    fn search(keywords: &[&str], data: &[u8]) -> Vec<Hit> {
        let s = KeywordSearcher::new(keywords);
        let mut hits = Vec::new();
        s.find_all(data, &mut hits);
        hits.sort();
        hits
    }

    #[test]
    fn finds_overlapping_and_nested_keywords() {
        let kws = ["key", "key-", "api_key", "ey", "sk_live_", "k_l"];
        let data = b"API_KEY-1 sk_live_x KEY key- monkey";
        assert_eq!(search(&kws, data), naive(&kws, data));
    }

    #[test]
    fn interleaved_lanes_match_the_reference_across_lane_borders() {
        let kws = [
            "token",
            "oken",
            "ghp_",
            "xoxb-",
            "begin rsa private key",
            "://",
        ];
        // Long enough for four lanes; keywords straddle every lane border somewhere.
        let mut data = Vec::new();
        let mut x: u32 = 12345;
        while data.len() < 50_000 {
            x = x.wrapping_mul(1103515245).wrapping_add(12345);
            match (x >> 16) % 9 {
                0 => data.extend_from_slice(b"ToKeN"),
                1 => data.extend_from_slice(b"GHP_"),
                2 => data.extend_from_slice(b"-----BEGIN RSA PRIVATE KEY-----"),
                3 => data.extend_from_slice(b"https://"),
                4 => data.extend_from_slice(b"xoxb-"),
                _ => data.push(b'a' + (x % 26) as u8),
            }
        }
        for cut in [data.len(), 4096, 4097, 10_001, 33_333] {
            let d = &data[..cut];
            let (got, want) = (search(&kws, d), naive(&kws, d));
            assert_eq!(got.len(), want.len(), "length {cut}");
            assert!(got == want, "length {cut}: hits differ");
        }
    }
}
