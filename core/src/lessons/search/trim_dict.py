#!/usr/bin/env python3
"""Regenerates dict.txt, the query-segmentation dictionary of lessons::search.

Usage: python3 trim_dict.py PATH/TO/jieba-rs-0.11.0/src/data/dict.txt > dict.txt

Keeps every single-character entry and the 40 000 most frequent longer words of jieba's
dictionary (MIT licence, (c) Sun Junyi and the jieba-rs authors), in the original order, without
part-of-speech tags. Ties in frequency keep dictionary order, so the output is reproducible.
"""
import sys

KEEP_WORDS = 40_000

rows = [line.split() for line in open(sys.argv[1], encoding="utf-8") if line.strip()]
multi = sorted((r for r in rows if len(r[0]) > 1), key=lambda r: -int(r[1]))
keep = {r[0] for r in multi[:KEEP_WORDS]}
out = sys.stdout
for r in rows:
    if len(r[0]) == 1 or r[0] in keep:
        out.write(f"{r[0]} {r[1]}\n")
