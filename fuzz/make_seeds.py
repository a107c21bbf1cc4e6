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
put('rules_config', 'keyhound.toml', open(os.path.join(root, '.keyhound.toml')).read())
print(sum(len(fs) for _, _, fs in os.walk(seeds)), 'seeds')
