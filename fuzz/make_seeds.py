#!/usr/bin/env python3
"""Writes the fuzz targets' seed inputs under fuzz/seeds/ from the rules' own examples and
files (run from the repository root). The seeds are committed; CI replays them."""
import base64
import os
import tomllib

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
seeds = os.path.join(root, 'fuzz', 'seeds')


def put(target, name, data):
    d = os.path.join(seeds, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data if isinstance(data, bytes) else data.encode())


examples = []
for name in sorted(os.listdir(os.path.join(root, 'rules'))):
    if not name.endswith('.toml'):
        continue
    text = open(os.path.join(root, 'rules', name)).read()
    put('rules_config', name, text)
    for rule in tomllib.loads(text)['rules']:
        for i, ex in enumerate(rule['examples'][:1]):
            examples.append((rule['id'], ex))
for rid, ex in examples:
    put('matcher', rid, ex)
    # One layer of base64 around it, for the decoders.
    put('matcher', rid + '.b64', 'value: ' + base64.b64encode(ex.encode()).decode() + '\n')
for rid, ex in examples[::7]:
    put('decoders', rid, ex)
    put('decoders', rid + '.b64', base64.b64encode(ex.encode()))
    put('decoders', rid + '.hex', ex.encode().hex())
    put('decoders', rid + '.utf16', b'\xff\xfe' + ex.encode('utf-16-le'))
    put('staged_diff', rid, b'a = 1\nb = 2\n\0a = 1\n' + ex.encode() + b'\nb = 2\n')


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7f
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def git_delta(base, ops):
    """A git delta: ops are (offset, size) copies from base and bytes to insert."""
    body = bytearray()
    size = 0
    for op in ops:
        if isinstance(op, bytes):
            for i in range(0, len(op), 127):
                chunk = op[i:i + 127]
                body.append(len(chunk))
                body += chunk
            size += len(op)
            continue
        offset, n = op
        cmd, args = 0x80, bytearray()
        for i in range(4):
            if (offset >> (8 * i)) & 0xff:
                cmd |= 1 << i
                args.append((offset >> (8 * i)) & 0xff)
        for i in range(3):
            if (n >> (8 * i)) & 0xff:
                cmd |= 0x10 << i
                args.append((n >> (8 * i)) & 0xff)
        body.append(cmd)
        body += args
        size += n
    return varint(len(base)) + varint(size) + bytes(body)


# Deltas that insert a rule's example into text, cut it, and move the pieces around.
filler = ''.join(f'line {i} of a file that changes a little\n' for i in range(40)).encode()
for rid, ex in examples[::11]:
    base = filler[:600] + ex.encode() + b'\n' + filler[600:]
    mid = 600 + len(ex) // 2
    ops = [[(0, 300), b'new text\n', (300, mid - 300), b'X', (mid, len(base) - mid)],
           [(0, 600), (mid, len(base) - mid)],
           [(mid, len(base) - mid), ex.encode()[:5], (0, mid)]]
    for i, o in enumerate(ops):
        put('delta', f'{rid}.{i}', len(base).to_bytes(2, 'little') + base + git_delta(base, o))
# Archives of a rule's example in every format, a byte saying which reader to use.
import bz2, gzip, io, lzma, tarfile, zipfile


def tar_of(name, data):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w', format=tarfile.USTAR_FORMAT) as t:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        info.mtime = 0
        t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def zip_of(name, data):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


for rid, ex in examples[::23]:
    data = ex.encode()
    put('archive', rid + '.zip', bytes([0]) + zip_of('app/.env', data))
    put('archive', rid + '.nested.zip', bytes([0]) + zip_of('inner.zip', zip_of('.env', data)))
    put('archive', rid + '.tar', bytes([1]) + tar_of('pkg/.env', data))
    put('archive', rid + '.tar.gz', bytes([2]) + gzip.compress(tar_of('pkg/.env', data), mtime=0))
    put('archive', rid + '.bz2', bytes([3]) + bz2.compress(data))
    put('archive', rid + '.xz', bytes([4]) + lzma.compress(data, format=lzma.FORMAT_XZ))
# Saved container images: docker save (manifest.json) and an OCI layout in a tar.
def tar_many(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w', format=tarfile.USTAR_FORMAT) as t:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            t.addfile(info, io.BytesIO(data))
    return buf.getvalue()


for rid, ex in examples[::61]:
    env = ex.encode()
    config = b'{"config":{"Env":["X=1"]},"rootfs":{"diff_ids":["sha256:' + b'a' * 64 + b'"]}}'
    manifest = b'[{"Config":"c.json","RepoTags":["app:1"],"Layers":["l/layer.tar"]}]'
    docker = tar_many(
        [('c.json', config), ('l/layer.tar', tar_of('etc/.env', env)), ('manifest.json', manifest)])
    put('archive', rid + '.docker', bytes([1]) + docker)
    put('image', rid + '.docker', docker)
    m, c, l = '1' * 64, '2' * 64, '3' * 64
    index = ('{"manifests":[{"digest":"sha256:%s","annotations":{"org.opencontainers.image.ref.name":"2"}}]}' % m).encode()
    man = ('{"config":{"digest":"sha256:%s"},"layers":[{"digest":"sha256:%s"}]}' % (c, l)).encode()
    oci = tar_many(
        [('oci-layout', b'{"imageLayoutVersion":"1.0.0"}'), ('index.json', index),
         ('blobs/sha256/' + m, man), ('blobs/sha256/' + c, b'{"config":{}}'),
         ('blobs/sha256/' + l, gzip.compress(tar_of('srv/.env', env), mtime=0))])
    put('archive', rid + '.oci', bytes([1]) + oci)
    put('image', rid + '.oci', oci)
    put('archive', rid + '.oci.tar.gz', bytes([2]) + gzip.compress(oci, mtime=0))
put('rules_config', 'keyhound.toml', open(os.path.join(root, '.keyhound.toml')).read())
print(sum(len(fs) for _, _, fs in os.walk(seeds)), 'seeds')
