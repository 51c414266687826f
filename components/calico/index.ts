/** Calico on the cluster: the component and how it owns the CRDs. */
export { Calico, type CalicoArgs } from "./calico";
export {
  type CalicoCrdsArgs,
  crdChartType,
  crdChildTransform,
  declareCalicoCrds,
  legacyReleaseFrozenInputs,
} from "./crds";
