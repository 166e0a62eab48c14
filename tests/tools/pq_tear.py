#!/usr/bin/env python3
"""Damages and inspects persisted queue directories (format: src/queue/FORMAT.md) for fault tests.

  pq_tear.py list DIR                        pages, records, sequence ranges, checkpoint
  pq_tear.py truncate FILE OFFSET            cut FILE to OFFSET bytes
  pq_tear.py flip FILE OFFSET [MASK]         XOR one byte with MASK (default 0x40)
  pq_tear.py zero FILE OFFSET LENGTH         overwrite LENGTH bytes with zeros
  pq_tear.py tear-last-record DIR [--keep N] cut the newest page inside its last record, keeping N
                                             bytes of it (default: half)
  pq_tear.py partial-checkpoint DIR [--keep N]  cut the checkpoint to N bytes (default: half)
  pq_tear.py fuzz-seed PAGE CHECKPOINT OUT   pack a page and a checkpoint as a fuzz_pq_page input

Run it on a copy of a queue directory taken while Sluice runs (or after kill -9), then start Sluice
on it: the queue must report what it lost and deliver the rest.
"""
import argparse
import os
import struct
import sys
import zlib

PAGE_MAGIC = b"SLPQPAGE"
CHECKPOINT_MAGIC = b"SLPQCKPT"
PAGE_HEADER = 32
RECORD_HEADER = 16


def page_files(directory):
    pages = []
    for name in os.listdir(directory):
        if name.startswith("page.") and name[5:].isdigit():
            pages.append((int(name[5:]), os.path.join(directory, name)))
    return sorted(pages)


def records(data):
    """Yields (offset, length, seq, crc_ok) for each complete record; stops at the first bad one."""
    if len(data) < PAGE_HEADER or data[:8] != PAGE_MAGIC:
        return
    offset = PAGE_HEADER
    while offset + RECORD_HEADER <= len(data):
        length, crc, seq = struct.unpack_from("<IIQ", data, offset)
        end = offset + RECORD_HEADER + length
        if end > len(data):
            return
        payload = data[offset + RECORD_HEADER:end]
        ok = zlib.crc32(struct.pack("<QI", seq, length), zlib.crc32(payload)) == crc
        yield offset, length, seq, ok
        if not ok:
            return
        offset = end


def cmd_list(args):
    for num, path in page_files(args.dir):
        data = open(path, "rb").read()
        if len(data) < PAGE_HEADER or data[:8] != PAGE_MAGIC:
            print(f"page.{num}: {len(data)} bytes, no valid header")
            continue
        min_seq = struct.unpack_from("<Q", data, 16)[0]
        recs = list(records(data))
        good = [r for r in recs if r[3]]
        end = good[-1][0] + RECORD_HEADER + good[-1][1] if good else PAGE_HEADER
        state = "clean" if end == len(data) else f"stops at offset {end}"
        last = good[-1][2] if good else min_seq - 1
        print(f"page.{num}: {len(data)} bytes, {len(good)} records, seq {min_seq}..{last}, {state}")
    cp = os.path.join(args.dir, "checkpoint")
    if not os.path.exists(cp):
        print("checkpoint: missing")
        return 0
    data = open(cp, "rb").read()
    if len(data) < 36 or data[:8] != CHECKPOINT_MAGIC:
        print(f"checkpoint: {len(data)} bytes, not a checkpoint")
        return 0
    count, next_seq, next_page = struct.unpack_from("<IQI", data, 12)
    crc_ok = len(data) >= 4 and zlib.crc32(data[:-4]) == struct.unpack_from("<I", data, len(data) - 4)[0]
    print(f"checkpoint: next_seq {next_seq}, next_page {next_page}, {count} pages, crc {'ok' if crc_ok else 'BAD'}")
    for i in range(count):
        off = 32 + 40 * i
        if off + 40 > len(data):
            print("  (truncated)")
            break
        num, flags, min_seq, n, _, size, first_unacked = struct.unpack_from("<IIQIIQQ", data, off)
        print(f"  page.{num}: {'sealed' if flags & 1 else 'head'}, seq {min_seq}+{n}, {size} bytes, "
              f"first unacked {first_unacked}")
    return 0


def cut(path, offset):
    with open(path, "r+b") as f:
        f.truncate(offset)


def cmd_truncate(args):
    cut(args.file, args.offset)
    return 0


def cmd_flip(args):
    with open(args.file, "r+b") as f:
        f.seek(args.offset)
        b = f.read(1)
        if not b:
            sys.exit(f"{args.file} has no byte at offset {args.offset}")
        f.seek(args.offset)
        f.write(bytes([b[0] ^ args.mask]))
    return 0


def cmd_zero(args):
    with open(args.file, "r+b") as f:
        f.seek(args.offset)
        f.write(b"\0" * args.length)
    return 0


def cmd_tear_last_record(args):
    pages = page_files(args.dir)
    if not pages:
        sys.exit(f"{args.dir} has no page files")
    num, path = pages[-1]
    data = open(path, "rb").read()
    recs = list(records(data))
    if not recs:
        sys.exit(f"page.{num} has no complete record to tear")
    offset, length, _, _ = recs[-1]
    size = RECORD_HEADER + length
    keep = size // 2 if args.keep is None else args.keep
    if not 0 <= keep < size:
        sys.exit(f"--keep must be below the record's {size} bytes")
    cut(path, offset + keep)
    print(f"page.{num}: cut at {offset + keep} (record at {offset}, {size} bytes)")
    return 0


def cmd_partial_checkpoint(args):
    path = os.path.join(args.dir, "checkpoint")
    size = os.path.getsize(path)
    keep = size // 2 if args.keep is None else args.keep
    cut(path, keep)
    print(f"checkpoint: cut from {size} to {keep} bytes")
    return 0


def cmd_fuzz_seed(args):
    page = open(args.page, "rb").read()
    checkpoint = open(args.checkpoint, "rb").read()
    with open(args.out, "wb") as f:
        f.write(struct.pack("<H", len(checkpoint)) + page + checkpoint)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("list")
    s.add_argument("dir")
    s.set_defaults(fn=cmd_list)
    s = sub.add_parser("truncate")
    s.add_argument("file")
    s.add_argument("offset", type=int)
    s.set_defaults(fn=cmd_truncate)
    s = sub.add_parser("flip")
    s.add_argument("file")
    s.add_argument("offset", type=int)
    s.add_argument("mask", type=lambda v: int(v, 0), nargs="?", default=0x40)
    s.set_defaults(fn=cmd_flip)
    s = sub.add_parser("zero")
    s.add_argument("file")
    s.add_argument("offset", type=int)
    s.add_argument("length", type=int)
    s.set_defaults(fn=cmd_zero)
    s = sub.add_parser("tear-last-record")
    s.add_argument("dir")
    s.add_argument("--keep", type=int)
    s.set_defaults(fn=cmd_tear_last_record)
    s = sub.add_parser("partial-checkpoint")
    s.add_argument("dir")
    s.add_argument("--keep", type=int)
    s.set_defaults(fn=cmd_partial_checkpoint)
    s = sub.add_parser("fuzz-seed")
    s.add_argument("page")
    s.add_argument("checkpoint")
    s.add_argument("out")
    s.set_defaults(fn=cmd_fuzz_seed)
    args = p.parse_args()
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
