/**
 * Pod-block and subnet sizing arithmetic. Calico IPAM gives each node one block
 * at a time; a node that fills its block borrows from others, which breaks the
 * one-route-per-node aggregation CrossSubnet relies on, so a block must hold a
 * full node: its max pods plus the IPIP tunnel address Calico takes from it.
 */
import type { AddressFamily } from "./cidr";

/** Calico's allowed block sizes per family (IPv4 default /26, IPv6 default /122). */
export const blockSizeRange: Record<AddressFamily, { readonly min: number; readonly max: number }> =
  {
    ipv4: { min: 20, max: 32 },
    ipv6: { min: 116, max: 128 },
  };

/** Addresses AWS keeps in every subnet (network, router, DNS, future, broadcast). */
export const awsReservedAddressesPerSubnet = 5;

/** The address the IPIP tunnel device takes from each node's block. */
export const tunnelAddressesPerNode = 1;

/** kubelet's default maxPods. */
export const defaultMaxPods = 110;

const familyBits: Record<AddressFamily, number> = { ipv4: 32, ipv6: 128 };

export function addressesInBlock(blockSize: number, family: AddressFamily = "ipv4"): number {
  return 2 ** (familyBits[family] - blockSize);
}

/** Addresses one node needs from its block: every pod plus the tunnel address. */
export function addressesPerNode(maxPods: number): number {
  return maxPods + tunnelAddressesPerNode;
}

/**
 * The longest IPv4 prefix (smallest block) that holds a node with `maxPods` pods.
 * May fall outside Calico's 20..32 range; callers check that separately.
 */
export function smallestBlockSizeFor(maxPods: number): number {
  return 32 - Math.ceil(Math.log2(addressesPerNode(maxPods)));
}

export function blocksInPool(poolPrefix: number, blockSize: number): number {
  return blockSize < poolPrefix ? 0 : 2 ** (blockSize - poolPrefix);
}

export function usableSubnetAddresses(subnetPrefix: number): number {
  return Math.max(0, 2 ** (32 - subnetPrefix) - awsReservedAddressesPerSubnet);
}
