//! One self-contained HTML file (no network assets): findings by severity, with file, line,
//! commit and author, secrets masked, and a filter box. `#filter=TEXT` in the URL pre-fills
//! the filter.

use std::io::{self, Write};

use super::{Report, Shown};
use crate::finding::Finding;

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:2rem;color:#222}\
h1{font-size:1.4rem}table{border-collapse:collapse;width:100%}\
th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}\
th{background:#f4f4f4}code{font:12px ui-monospace,monospace;word-break:break-all}\
.high{color:#b00020;font-weight:600}.medium{color:#a05a00}.low{color:#555}\
#filter{width:100%;max-width:32rem;padding:.4rem;margin:.5rem 0 1rem;font-size:14px}";

const SCRIPT: &str = "const box=document.getElementById('filter');\
const rows=[...document.querySelectorAll('#findings tbody tr')];\
function apply(){const q=box.value.toLowerCase();let shown=0;\
for(const r of rows){const hit=r.textContent.toLowerCase().includes(q);r.hidden=!hit;if(hit)shown++;}\
document.getElementById('shown').textContent=shown;}\
box.addEventListener('input',apply);\
const m=location.hash.match(/^#filter=(.*)$/);if(m){box.value=decodeURIComponent(m[1]);}\
apply();";

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

pub fn write(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut findings: Vec<(&Finding, Shown)> =
        report.findings.iter().zip(report.masked()).collect();
    // By severity, then where.
    findings.sort_by(|(a, _), (b, _)| {
        b.confidence
            .cmp(&a.confidence)
            .then_with(|| (a.path(), a.line).cmp(&(b.path(), b.line)))
    });
    writeln!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    )?;
    writeln!(
        out,
        "<title>keyhound report</title><style>{STYLE}</style></head><body>"
    )?;
    writeln!(out, "<h1>keyhound report</h1>")?;
    writeln!(
        out,
        "<p>{} (<span id=\"shown\">{}</span> shown)</p>",
        esc(&report.stats.summary()),
        findings.len()
    )?;
    writeln!(
        out,
        "<input id=\"filter\" type=\"search\" placeholder=\"Filter by rule, path, commit, author…\" autofocus>"
    )?;
    writeln!(
        out,
        "<table id=\"findings\"><thead><tr><th>Confidence</th><th>Rule</th><th>Location</th>\
         <th>Commit</th><th>Secret</th><th>Line</th></tr></thead><tbody>"
    )?;
    for (f, shown) in findings {
        let commit = match f.origin.commit() {
            Some(c) => {
                let id = c.id.to_string();
                let info = c.info.clone().unwrap_or_default();
                format!(
                    "<code>{}</code> {} &lt;{}&gt; {}<br>{}",
                    esc(&id[..12]),
                    esc(&info.author),
                    esc(&info.email),
                    esc(&info.date),
                    esc(&info.message)
                )
            }
            None => String::new(),
        };
        let suppressed = match f.suppressed {
            Some(_) => " (suppressed)",
            None => "",
        };
        writeln!(
            out,
            "<tr class=\"finding\" data-rule=\"{rule}\"><td class=\"{conf}\">{conf}{suppressed}</td>\
             <td><code>{rule}</code><br>{name}</td><td><code>{path}:{line_no}:{col}</code></td>\
             <td>{commit}</td><td><code>{secret}</code></td><td><code>{line}</code></td></tr>",
            rule = esc(&f.rule_id),
            conf = f.confidence,
            name = esc(&f.rule_name),
            path = esc(f.path()),
            line_no = f.line,
            col = f.column,
            secret = esc(shown.secret.lines().next().unwrap_or("")),
            line = esc(shown.line.trim()),
        )?;
    }
    writeln!(
        out,
        "</tbody></table><script>{SCRIPT}</script></body></html>"
    )
}

#[cfg(test)]
mod tests {
    use super::esc;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
