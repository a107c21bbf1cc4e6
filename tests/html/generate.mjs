// Fake secrets for the HTML report test: random each run, format-valid, never live. Also
// `node generate.mjs DIR [FILES]` writes the big tree, for looking at a page by hand.
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const MIXED = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(s) {
  let c = 0xffffffff;
  for (let i = 0; i < s.length; i++) c = CRC_TABLE[(c ^ s.charCodeAt(i)) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// Random bytes in bulk: one syscall per 64 KiB, not per character.
let pool = Buffer.alloc(0), at = 0;
function byte() {
  if (at === pool.length) (pool = randomBytes(65536)), (at = 0);
  return pool[at++];
}

// Unbiased: bytes past the last whole multiple of the alphabet's length are drawn again.
function pick(alphabet) {
  const limit = 256 - (256 % alphabet.length);
  for (;;) {
    const b = byte();
    if (b < limit) return alphabet[b % alphabet.length];
  }
}

// What keyhound rightly drops as made up: `xxx` (masked by hand), test words, low variety,
// and, for values with both, no digit or no letter.
const MADE_UP = /xxx|test|fake|mock|demo|dummy|sample|example/i;

export function random(alphabet, n) {
  for (;;) {
    let s = '';
    for (let i = 0; i < n; i++) s += pick(alphabet);
    const digits = s.replace(/[^0-9]/g, '').length;
    if (/[0-9]/.test(alphabet) && /[A-Za-z]/.test(alphabet) && (digits === 0 || digits === n)) continue;
    if (MADE_UP.test(s) || new Set(s).size < Math.min(n, alphabet.length) * 0.5) continue;
    return s;
  }
}

/** A classic GitHub token whose checksum (base62 of the CRC32 of its random part) holds. */
export function githubPat() {
  const body = random(MIXED, 30);
  let n = crc32(body);
  let sum = '';
  for (let i = 0; i < 6; i++) {
    sum = BASE62[n % 62] + sum;
    n = Math.floor(n / 62);
  }
  return `ghp_${body}${sum}`;
}

/** As people write them; keyhound drops about 6% of these as code identifiers. */
export const password = () => random(MIXED, 16);
/** One keyhound always reports: punctuation makes it no identifier. */
export const strongPassword = () => `${random(MIXED, 8)}!${random(MIXED, 7)}`;
export const awsKeyId = () => `AKIA${random(BASE32, 16)}`;
export const awsSecret = () => random(B64, 40);

// A test directory lowers confidence (medium); a deep one makes long paths to elide.
const DIRS = ['src', 'config', 'deploy', 'services/billing', 'services/auth/internal', 'test/fixtures',
  'infra/terraform/modules/network/environments/production/eu-west-1'];

/**
 * `files` files under `dir`: ten PATs in a .js file, or in every fifth file a .env with a
 * password, an AWS key pair (one finding) and nine PATs; 2,500 files make about 25,450
 * findings. Returns the secrets written.
 */
export function writeTree(dir, files = 2500) {
  const secrets = [];
  const keep = (s) => (secrets.push(s), s);
  const made = new Set();
  for (let i = 0; i < files; i++) {
    const sub = join(dir, DIRS[i % DIRS.length], `m${Math.floor(i / 100)}`);
    if (!made.has(sub)) mkdirSync(sub, { recursive: true }), made.add(sub);
    const lines = [];
    if (i % 5 === 4) {
      lines.push(`password = "${keep(password())}"`);
      lines.push(`AWS_ACCESS_KEY_ID=${keep(awsKeyId())}`);
      lines.push(`aws_secret_access_key = ${keep(awsSecret())}`);
      for (let k = 0; k < 9; k++) lines.push(`GH_TOKEN_${k}=${keep(githubPat())}`);
      writeFileSync(join(sub, `service-${i}.env`), lines.join('\n') + '\n');
    } else {
      for (let k = 0; k < 10; k++) lines.push(`const token${k} = "${keep(githubPat())}";`);
      writeFileSync(join(sub, `client_${i}.js`), lines.join('\n') + '\n');
    }
  }
  return secrets;
}

// Identity from `-c` alone: GIT_AUTHOR_NAME and the like in the environment would win over it.
const GIT_ENV = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^GIT_(AUTHOR|COMMITTER)_/.test(k)));
Object.assign(GIT_ENV, { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' });

function git(repo, args, author) {
  const who = author ? ['-c', `user.name=${author.name}`, '-c', `user.email=${author.email}`] : [];
  return execFileSync('git', [...who, ...args], { cwd: repo, encoding: 'utf8', env: GIT_ENV }).trim();
}

export const MARKUP_PATH = 'config/<img src=x onerror=__pwned=1>.env';

export const AUTHORS = [
  { name: 'Alice Example', email: 'alice@example.com' },
  { name: 'Bob Example', email: 'bob@example.com' },
];

/**
 * A small repository on a GitHub remote: Alice commits two PATs (one in a test directory:
 * medium) and a password (low) in a file named like markup; Bob two PATs, one under a long
 * path, and an AWS key pair (one finding). Three findings each, of three rules. Returns the
 * secrets, the commit ids and the long path.
 */
export function writeRepo(repo) {
  mkdirSync(repo, { recursive: true });
  git(repo, ['init', '-q', '-b', 'main']);
  git(repo, ['remote', 'add', 'origin', 'https://github.com/acme/app.git']);
  const secrets = [];
  const put = (path, text) => {
    mkdirSync(join(repo, path, '..'), { recursive: true });
    writeFileSync(join(repo, path), text);
  };
  const [alice, bob] = AUTHORS;
  const pat1 = githubPat(), pat2 = githubPat(), pw = strongPassword();
  secrets.push(pat1, pat2, pw);
  put('src/app.js', `const token = "${pat1}";\n`);
  put('tests/fixtures/client.js', `const token = "${pat2}";\n`);
  // Markup in a file name must show as text, never run.
  put(MARKUP_PATH, `password = "${pw}"\n`);
  git(repo, ['add', '.']);
  git(repo, ['commit', '-q', '-m', 'Add the client <config> & tests'], alice);
  const first = git(repo, ['rev-parse', 'HEAD']);
  const pat3 = githubPat(), pat4 = githubPat(), keyId = awsKeyId(), key = awsSecret();
  secrets.push(pat3, pat4, keyId, key);
  put('deploy/aws.env', `AWS_ACCESS_KEY_ID=${keyId}\naws_secret_access_key = ${key}\n`);
  const deep = 'services/payments/internal/adapters/providers/legacy/settlement/v2/config/production.env';
  put(deep, `GH_TOKEN=${pat3}\n`);
  put('src/deploy.js', `const deployToken = "${pat4}";\n`);
  git(repo, ['add', '.']);
  git(repo, ['commit', '-q', '-m', 'Deploy settings'], bob);
  const second = git(repo, ['rev-parse', 'HEAD']);
  return { secrets, commits: [first, second], deep };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [dir, files] = process.argv.slice(2);
  if (!dir) throw new Error('usage: node generate.mjs DIR [FILES]');
  console.log(`${writeTree(dir, Number(files || 2500)).length} secrets in ${dir}`);
}
