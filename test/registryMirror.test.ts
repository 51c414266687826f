import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { registryMirrorPattern } from "../lib/config/schema";
import { kubeadmImageRepository, mirroredImage } from "../lib/registryMirror";

describe("registry mirror", () => {
  const mirror = "111122223333.dkr.ecr.us-east-1.amazonaws.com/mirror";
  it("maps upstream images to <mirror>/<upstream path>", () => {
    assert.equal(mirroredImage("registry.k8s.io/pause:3.10.1", mirror), `${mirror}/pause:3.10.1`);
    assert.equal(
      mirroredImage("quay.io/tigera/operator:v1.40.0", mirror),
      `${mirror}/tigera/operator:v1.40.0`,
    );
    assert.equal(
      mirroredImage("registry.k8s.io/provider-aws/cloud-controller-manager:v1.34.0", mirror),
      `${mirror}/provider-aws/cloud-controller-manager:v1.34.0`,
    );
    assert.equal(
      mirroredImage("docker.io/calico/node:v3.32.1", undefined),
      "docker.io/calico/node:v3.32.1",
    );
    assert.throws(() => mirroredImage("calico/node:v3.32.1", mirror), /known upstream registry/);
  });
  it("is kubeadm's image repository, registry.k8s.io without one", () => {
    assert.equal(kubeadmImageRepository(mirror), mirror);
    assert.equal(kubeadmImageRepository(undefined), "registry.k8s.io");
  });
  it("accepts host[:port][/path] only", () => {
    for (const good of [mirror, "mirror.internal:5000", "registry.example/k8s/images"]) {
      assert.ok(registryMirrorPattern.test(good), good);
    }
    for (const bad of ["https://mirror.example", "mirror.example/", "Mirror.Example", "a b"]) {
      assert.ok(!registryMirrorPattern.test(bad), bad);
    }
  });
});
