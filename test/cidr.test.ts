import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  type Cidr,
  cidrFrom,
  contains,
  findOverlaps,
  mustParseCidr,
  overlaps,
  parseCidr,
  subBlock,
} from "../policy/rules/cidr";

describe("parseCidr", () => {
  it("accepts strictly masked IPv4 and IPv6 networks", () => {
    const v4 = mustParseCidr("10.20.0.0/16");
    assert.equal(v4.family, "ipv4");
    assert.equal(v4.end - v4.start + 1n, 65536n);
    const v6 = mustParseCidr("2001:db8::/56");
    assert.equal(v6.family, "ipv6");
    assert.equal(v6.prefix, 56);
  });

  const rejected: [string, RegExp][] = [
    ["10.0.0.1/16", /host bits set; the network address is 10\.0\.0\.0\/16/],
    ["10.0.0.0", /address\/prefix form/],
    ["10.0.0.0/33", /at most \/32/],
    ["10.1/16", /not a valid IPv4 or IPv6 address/],
    ["010.0.0.0/8", /not a valid IPv4 or IPv6 address/],
    ["0xa.0.0.0/8", /not a valid IPv4 or IPv6 address/],
    ["10.0.0.0/16/2", /prefix length/],
    ["10.0.0.0/-1", /prefix length/],
    [" 10.0.0.0/16", /address\/prefix form/],
    ["2001:db8::1/64", /host bits set/],
    ["banana/8", /not a valid/],
  ];
  for (const [text, reason] of rejected) {
    it(`rejects ${JSON.stringify(text)}`, () => {
      const result = parseCidr(text);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.reason, reason);
    });
  }
});

describe("subBlock", () => {
  it("carves consecutive blocks and refuses blocks outside the parent", () => {
    const parent = mustParseCidr("10.0.0.0/16");
    assert.equal(subBlock(parent, 20, 0).text, "10.0.0.0/20");
    assert.equal(subBlock(parent, 20, 15).text, "10.0.240.0/20");
    assert.throws(() => subBlock(parent, 20, 16));
    assert.throws(() => subBlock(parent, 8, 0));
  });
});

const arbitraryIpv4Cidr = fc
  .tuple(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 8, max: 32 }))
  .map(([address, prefix]) => {
    const hostBits = BigInt(32 - prefix);
    return cidrFrom((BigInt(address) >> hostBits) << hostBits, prefix, "ipv4");
  });

describe("findOverlaps", () => {
  it("finds exactly the pairs a brute-force comparison finds", () => {
    fc.assert(
      fc.property(fc.array(arbitraryIpv4Cidr, { maxLength: 40 }), (ranges) => {
        const items = ranges.map((cidr, index) => ({ cidr, index }));
        const expected = new Set<string>();
        for (let i = 0; i < items.length; i++) {
          for (let j = i + 1; j < items.length; j++) {
            if (overlaps(items[i].cidr, items[j].cidr)) expected.add([i, j].join(","));
          }
        }
        const found = findOverlaps(items, (item) => item.cidr).map(({ outer, inner }) => {
          assert.ok(contains(outer.cidr, inner.cidr), "outer must contain inner");
          return [outer.index, inner.index].sort((a, b) => a - b).join(",");
        });
        assert.equal(found.length, new Set(found).size, "no pair twice");
        assert.deepEqual(new Set(found), expected);
      }),
      { numRuns: 300 },
    );
  });

  it("finds exactly the brute-force pairs in a mix of IPv4 and IPv6 ranges", () => {
    const arbitraryIpv6Cidr = fc
      .tuple(fc.integer({ min: 0, max: 24 }), fc.bigInt({ min: 0n, max: (1n << 24n) - 1n }))
      .map(([prefix, high]) => {
        // Ranges under 2001:db8::/32 with few distinct prefixes, so many overlap.
        const base = (0x20010db8n << 96n) | (high << 72n);
        const hostBits = BigInt(128 - (32 + prefix));
        return cidrFrom((base >> hostBits) << hostBits, 32 + prefix, "ipv6");
      });
    fc.assert(
      fc.property(
        fc.array(fc.oneof(arbitraryIpv4Cidr, arbitraryIpv6Cidr), { maxLength: 40 }),
        (ranges) => {
          const expected = new Set<string>();
          for (let i = 0; i < ranges.length; i++) {
            for (let j = i + 1; j < ranges.length; j++) {
              if (overlaps(ranges[i], ranges[j])) expected.add(`${i},${j}`);
            }
          }
          const indexOf = new Map(ranges.map((range, index) => [range, index]));
          const found = findOverlaps(ranges, (range) => range).map(({ outer, inner }) => {
            assert.equal(outer.family, inner.family);
            assert.ok(contains(outer, inner), "outer must contain inner");
            return [indexOf.get(outer)!, indexOf.get(inner)!].sort((a, b) => a - b).join(",");
          });
          assert.deepEqual(new Set(found), expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("never pairs IPv4 with IPv6 ranges", () => {
    const ranges: Cidr[] = [mustParseCidr("0.0.0.0/0"), mustParseCidr("::/0")];
    assert.deepEqual(
      findOverlaps(ranges, (range) => range),
      [],
    );
  });
});
