/**
 * The cluster's trust material, made by Pulumi so every master starts from the
 * same CAs: the cluster, front-proxy and etcd CAs, the service-account key
 * pair, the bootstrap token workers join with, the CA hash they pin, and an
 * admin kubeconfig for the program's own Kubernetes provider. Every output is
 * a secret. Keys are ECDSA P-256: small enough that a master's user data stays
 * under EC2's 16 KiB limit.
 */
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import type { ControlPlaneSecrets, JoinSecrets } from "../lib/nodes/cloudInit";
import type { ClusterConfig } from "../lib/config/clusterConfig";
import { bootstrapTokenPattern, discoveryTokenCaCertHash } from "../lib/api/discoveryHash";
import { renderKubeconfig } from "../lib/api/kubeconfig";
import { logicalName } from "../lib/naming";

/** 10 years: a CA that expires takes the whole cluster with it. */
export const defaultCaValidityHours = 87600;
/** 1 year, renewed by `pulumi up` in its last 30 days. */
export const defaultAdminCertValidityHours = 8760;
const adminCertEarlyRenewalHours = 720;
/** kubeadm (1.29+) binds this group to cluster-admin; unlike system:masters, RBAC can revoke it. */
export const adminGroup = "kubeadm:cluster-admins";

export interface ClusterPkiArgs {
  /** Validated stack config; `clusterName` names the kubeconfig's cluster. Required. */
  readonly config: Pick<ClusterConfig, "clusterName">;
  /** The API load balancer's DNS name (`ApiLoadBalancer.endpointHost`); the kubeconfig's server is https://<host>:6443. Required. */
  readonly apiEndpointHost: pulumi.Input<string>;
  /** Validity of the three CAs in hours; default 87600 (10 years). */
  readonly caValidityHours?: number;
  /** Validity of the admin client certificate in hours; default 8760 (1 year). */
  readonly adminCertValidityHours?: number;
}

/** What the node components take from the PKI. */
export interface ClusterPkiSecrets {
  /** CAs and service-account keys pre-placed on every master. Secret. */
  readonly controlPlaneSecrets: pulumi.Output<ControlPlaneSecrets>;
  /** Bootstrap token, CA hash and CA certificate for joining. Secret. */
  readonly joinSecrets: pulumi.Output<JoinSecrets>;
}

function ecdsaKey(name: string, parent: pulumi.Resource): tls.PrivateKey {
  return new tls.PrivateKey(name, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { parent });
}

function selfSignedCa(
  name: string,
  commonName: string,
  validityHours: number,
  parent: pulumi.Resource,
): { key: tls.PrivateKey; cert: tls.SelfSignedCert } {
  const key = ecdsaKey(`${name}-key`, parent);
  const cert = new tls.SelfSignedCert(
    name,
    {
      privateKeyPem: key.privateKeyPem,
      isCaCertificate: true,
      validityPeriodHours: validityHours,
      allowedUses: ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"],
      subject: { commonName },
    },
    // Replacing a CA re-keys the whole cluster; make that a deliberate act.
    { parent, additionalSecretOutputs: ["certPem"], ignoreChanges: ["validityPeriodHours"] },
  );
  return { key, cert };
}

/** A lower-case alphanumeric string of the given length, as kubeadm's token parts are. */
function tokenPart(name: string, length: number, parent: pulumi.Resource): random.RandomPassword {
  return new random.RandomPassword(
    name,
    { length, lower: true, numeric: true, upper: false, special: false },
    { parent },
  );
}

export class ClusterPki extends pulumi.ComponentResource implements ClusterPkiSecrets {
  readonly controlPlaneSecrets: pulumi.Output<ControlPlaneSecrets>;
  readonly joinSecrets: pulumi.Output<JoinSecrets>;
  readonly clusterCaCertPem: pulumi.Output<string>;
  /** `<id>.<secret>`, kubeadm's format. */
  readonly bootstrapToken: pulumi.Output<string>;
  /** `sha256:<hex>` of the cluster CA's public key. */
  readonly discoveryTokenCaCertHash: pulumi.Output<string>;
  /** Admin kubeconfig (group kubeadm:cluster-admins) for the program's Kubernetes provider. */
  readonly adminKubeconfig: pulumi.Output<string>;

  constructor(name: string, args: ClusterPkiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("calico-cluster:pki:ClusterPki", name, {}, opts);
    const caHours = args.caValidityHours ?? defaultCaValidityHours;
    const n = (...keys: string[]) => logicalName(name, ...keys);

    const clusterCa = selfSignedCa(n("cluster-ca"), "kubernetes", caHours, this);
    const frontProxyCa = selfSignedCa(n("front-proxy-ca"), "front-proxy-ca", caHours, this);
    const etcdCa = selfSignedCa(n("etcd-ca"), "etcd-ca", caHours, this);
    const serviceAccountKey = ecdsaKey(n("service-account-key"), this);

    const tokenId = tokenPart(n("bootstrap-token-id"), 6, this);
    const tokenSecret = tokenPart(n("bootstrap-token-secret"), 16, this);
    this.bootstrapToken = pulumi.secret(
      pulumi.all([tokenId.result, tokenSecret.result]).apply(([id, secret]) => {
        const token = `${id}.${secret}`;
        if (!bootstrapTokenPattern.test(token)) {
          throw new Error(`the generated bootstrap token does not match ${bootstrapTokenPattern}`);
        }
        return token;
      }),
    );
    this.clusterCaCertPem = pulumi.secret(clusterCa.cert.certPem);
    this.discoveryTokenCaCertHash = pulumi.secret(
      clusterCa.cert.certPem.apply(discoveryTokenCaCertHash),
    );

    this.controlPlaneSecrets = pulumi.secret(
      pulumi
        .all([
          clusterCa.cert.certPem,
          clusterCa.key.privateKeyPem,
          frontProxyCa.cert.certPem,
          frontProxyCa.key.privateKeyPem,
          etcdCa.cert.certPem,
          etcdCa.key.privateKeyPem,
          serviceAccountKey.privateKeyPem,
          serviceAccountKey.publicKeyPem,
        ])
        .apply(
          ([
            caCert,
            caKey,
            fpCert,
            fpKey,
            etcdCert,
            etcdKey,
            saKey,
            saPub,
          ]): ControlPlaneSecrets => ({
            clusterCaCertPem: caCert,
            clusterCaKeyPem: caKey,
            frontProxyCaCertPem: fpCert,
            frontProxyCaKeyPem: fpKey,
            etcdCaCertPem: etcdCert,
            etcdCaKeyPem: etcdKey,
            serviceAccountKeyPem: saKey,
            serviceAccountPublicKeyPem: saPub,
          }),
        ),
    );
    this.joinSecrets = pulumi.secret(
      pulumi
        .all([this.bootstrapToken, this.discoveryTokenCaCertHash, clusterCa.cert.certPem])
        .apply(([bootstrapToken, caCertHash, clusterCaCertPem]): JoinSecrets => ({
          bootstrapToken,
          caCertHash,
          clusterCaCertPem,
        })),
    );

    const adminKey = ecdsaKey(n("admin-key"), this);
    const adminRequest = new tls.CertRequest(
      n("admin"),
      {
        privateKeyPem: adminKey.privateKeyPem,
        subject: { commonName: "pulumi-admin", organization: adminGroup },
      },
      { parent: this },
    );
    const adminCert = new tls.LocallySignedCert(
      n("admin"),
      {
        certRequestPem: adminRequest.certRequestPem,
        caCertPem: clusterCa.cert.certPem,
        caPrivateKeyPem: clusterCa.key.privateKeyPem,
        validityPeriodHours: args.adminCertValidityHours ?? defaultAdminCertValidityHours,
        earlyRenewalHours: adminCertEarlyRenewalHours,
        allowedUses: ["client_auth", "digital_signature", "key_encipherment"],
      },
      { parent: this, additionalSecretOutputs: ["certPem"] },
    );
    this.adminKubeconfig = pulumi.secret(
      pulumi
        .all([
          args.apiEndpointHost,
          clusterCa.cert.certPem,
          adminCert.certPem,
          adminKey.privateKeyPem,
        ])
        .apply(([apiEndpointHost, clusterCaCertPem, clientCertPem, clientKeyPem]) =>
          renderKubeconfig({
            clusterName: args.config.clusterName,
            apiEndpointHost,
            clusterCaCertPem,
            clientCertPem,
            clientKeyPem,
          }),
        ),
    );

    this.registerOutputs({
      clusterCaCertPem: this.clusterCaCertPem,
      bootstrapToken: this.bootstrapToken,
      discoveryTokenCaCertHash: this.discoveryTokenCaCertHash,
      adminKubeconfig: this.adminKubeconfig,
    });
  }
}
