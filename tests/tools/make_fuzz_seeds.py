#!/usr/bin/env python3
"""Writes the seed corpora of the JSON and event-codec fuzz targets into tests/fuzz/corpus/:

  json_codec/, json_filter/  JSON texts (the filter's without the three largest): ordinary
                             events, arrays of events, every value type,
                             100,000-level objects and arrays (beyond the parser's 1000 levels),
                             exactly 1000 and 1001 levels, a string over 1 MiB (and invalid JSON
                             that long, for the failure event's cut), long numbers, exponents that
                             overflow RapidJSON 1.1.0's arithmetic, invalid UTF-8, NUL bytes,
                             keys that are deep field references (the json filter).
  event_codec/               persisted-queue event encodings (src/queue/FORMAT.md): events with
                             every value type, the deepest nesting the codec takes and one level
                             more, a 100,000-level record, a long string; plus a few JSON texts.
  dlq_page/                  dead letter queue segments (src/dlq/FORMAT.md): entries around a
                             100,000-level event, an entry split over blocks, a corrupt record.

Usage: tests/tools/make_fuzz_seeds.py  (rewrites those four directories)
"""
import os
import struct
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fuzz", "corpus")
DEEP = 100_000


def write(target, name, data):
    d = os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def deep_objects(n):
    return '{"a":' * n + "1" + "}" * n


def deep_arrays(n):
    return "[" * n + "]" * n


# ---- JSON texts ------------------------------------------------------------------------------------

FILEBEAT = ('{"@timestamp":"2024-05-14T09:21:07.412Z","@metadata":{"beat":"filebeat","type":"_doc",'
            '"version":"7.17.21"},"log":{"offset":48213,"file":{"path":"/var/log/app.log"}},'
            '"stream":"stdout","message":"GET /healthz 200","host":{"name":"worker-a"},"tags":["a","b"]}')

JSON_SEEDS = {
    "filebeat": FILEBEAT,
    "array_of_events": '[{"n":1},{"n":2,"tags":"x"},{"@timestamp":"nope"}]',
    "every_type": '{"s":"x\\u00e9\\n\\"","i":-42,"u":18446744073709551615,"d":1.5e-7,"t":true,'
                  '"f":false,"z":null,"a":[1,[2,[3]],{"k":"v"}],"o":{"":{}},"dup":1,"dup":2}',
    "lines": '{"a":1}\n{"a"\n\n[{"b":2}]\n   \n{"c":3}',
    "blank": " \t\r\n",
    "multi_root": '{"a":1} {"b":2}[3]"s" 4',
    "depth_1000": "[" * 999 + "{}" + "]" * 999,
    "depth_1001": "[" * 1001 + "]" * 1001,
    "deep_objects_100k": deep_objects(DEEP),
    "deep_arrays_100k": deep_arrays(DEEP),
    "deep_in_array_100k": '[{"a":' + deep_arrays(DEEP) + "}]",
    "long_string": '{"message":"' + "x" * ((1 << 20) + 100) + '"}',
    "long_invalid": '{"message":"' + "y" * ((1 << 20) + 100),
    "long_number_int": "{\"n\":1" + "0" * 5000 + "}",
    "long_number_frac": "{\"n\":0." + "0" * 20000 + "1}",
    "long_number_digits": "{\"n\":1." + "3" * 20000 + "e-5}",
    "exponents": '{"a":0.00000000001e-2147483639,"b":1e-2147483647,"c":1.8e308,"d":-0.0,"e":-0}',
    "invalid_utf8": '{"a":"\udcff\udcfe","\udcc3(":1}',
    "nul_bytes": '{"a":"x\x00y"}\x00{"b":1}',
    "control_chars": '{"a":"\x01\x1f"}',
    "field_ref_keys": '{"[a][b]":1,"[tags]":"t","@metadata":{"m":1},"[@metadata][x]":2,"@timestamp":"2015-01-01"}',
    "deep_field_ref_key": '{"' + "[a]" * 3000 + '":1}',
}


# ---- persisted-queue event encodings ---------------------------------------------------------------

def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def s_bytes(s):
    b = s.encode() if isinstance(s, str) else s
    return varint(len(b)) + b


def enc_value(v):
    if v is None:
        return b"\x00"
    if v is False:
        return b"\x01"
    if v is True:
        return b"\x02"
    if isinstance(v, int):
        if v > (1 << 63) - 1:
            return b"\x04" + varint(v)
        return b"\x03" + varint(((v << 1) ^ (v >> 63)) & ((1 << 64) - 1))
    if isinstance(v, float):
        return b"\x05" + struct.pack("<d", v)
    if isinstance(v, (str, bytes)):
        return b"\x06" + s_bytes(v)
    if isinstance(v, list):
        return b"\x07" + varint(len(v)) + b"".join(enc_value(x) for x in v)
    if isinstance(v, dict):
        return b"\x08" + varint(len(v)) + b"".join(s_bytes(k) + enc_value(x) for k, x in v.items())
    raise TypeError(v)


def enc_event(data, metadata=None, ts_ns=1_700_000_000_123_456_789):
    head = b"\x01" + (b"\x01" + struct.pack("<Q", ts_ns) if ts_ns is not None else b"\x00")
    return head + enc_value(data) + enc_value(metadata or {})


def nested_arrays_bytes(n):
    """An event whose data object holds n arrays nested inside each other, innermost null."""
    return b"\x01\x00" + b"\x08\x01\x01k" + b"\x07\x01" * n + b"\x00" + b"\x08\x00"


EVENT_SEEDS = {
    "simple": enc_event({"@timestamp": "2023-11-14T22:13:20.123Z", "@version": "1", "message": "hello"}),
    "every_type": enc_event({"n": None, "f": False, "t": True, "i": -5, "u": (1 << 64) - 1, "d": 0.1,
                             "s": b"\x00\xff", "a": [1, [2, {"x": []}]], "o": {"": {}}},
                            {"meta": {"k": "v"}}),
    "no_timestamp": enc_event({"@version": "1"}, ts_ns=None),
    "deepest_accepted": nested_arrays_bytes(2046),
    "one_level_too_deep": nested_arrays_bytes(2047),
    "deep_100k": nested_arrays_bytes(DEEP),
    "long_string": enc_event({"message": "z" * 300_000}),
    "count_lies": b"\x01\x00\x08\xff\xff\xff\xff\x0f",
    "json_filebeat": FILEBEAT.encode(),
    "json_deep": deep_arrays(DEEP).encode(),
}


# ---- dead letter queue segments -------------------------------------------------------------------

BLOCK = 32 * 1024
HEADER = 13


def entry_payload(event_bytes, reason="rejected", time_ns=1_700_000_000_000_000_000):
    return (b"\x01" + struct.pack(">Q", time_ns) + struct.pack(">H", 13) + b"elasticsearch"
            + struct.pack(">H", 5) + b"es_id" + struct.pack(">I", len(reason)) + reason.encode() + event_bytes)


def record(rtype, chunk, entry_size):
    head = bytes([rtype]) + struct.pack(">I", len(chunk)) + struct.pack(">I", entry_size)
    crc = zlib.crc32(chunk, zlib.crc32(head)) & 0xFFFFFFFF
    return head + struct.pack(">I", crc) + chunk


def segment(payloads):
    out = bytearray(b"S")
    for p in payloads:
        first = True
        while True:
            in_block = (len(out) - 1) % BLOCK
            if BLOCK - in_block < HEADER + 1:
                out += b"\x00" * (BLOCK - in_block)
                in_block = 0
            room = BLOCK - in_block - HEADER
            chunk, p_rest = p[:room], p[room:]
            if first and not p_rest:
                out += record(1, chunk, 0xFFFFFFFF)
            elif first:
                out += record(2, chunk, len(p))
            elif not p_rest:
                out += record(4, chunk, 0xFFFFFFFF)
            else:
                out += record(3, chunk, 0xFFFFFFFF)
            first = False
            p = p_rest
            if not p:
                break
    return bytes(out)


def good_event(n):
    return enc_event({"@timestamp": "2023-11-14T22:13:20.123Z", "n": n, "message": "m%d" % n})


DLQ_SEEDS = {
    "three_entries": segment([entry_payload(good_event(i)) for i in range(3)]),
    "deep_event_between": segment([entry_payload(good_event(1)), entry_payload(nested_arrays_bytes(DEEP)),
                                   entry_payload(good_event(2))]),
    "split_over_blocks": segment([entry_payload(enc_event({"message": "q" * (3 * BLOCK)})),
                                  entry_payload(good_event(9))]),
}
corrupt = bytearray(DLQ_SEEDS["three_entries"])
corrupt[40] ^= 0x55
DLQ_SEEDS["corrupt_record"] = bytes(corrupt)


# The failure event's 1 MiB cut is the codecs' business: the filter's corpus leaves out the two
# texts over 1 MiB (the corpora are in the repository).
CODEC_ONLY = {"long_string", "long_invalid", "deep_objects_100k"}


def main():
    for name, text in JSON_SEEDS.items():
        write("json_codec", name, text)
        if name not in CODEC_ONLY:
            write("json_filter", name, text)
    for name, data in EVENT_SEEDS.items():
        write("event_codec", name, data)
    for name, data in DLQ_SEEDS.items():
        write("dlq_page", name, data)


if __name__ == "__main__":
    main()
