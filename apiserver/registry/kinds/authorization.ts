import { localSubjectAccessReview, selfSubjectAccessReview, selfSubjectRulesReview, subjectAccessReview } from '../../authz/access-reviews.js';
import { DEFAULT_COLUMNS } from '../../table/table.js';
import type { ResourceDef } from '../types.js';

/**
 * authorization.k8s.io/v1 reviews: create-only kinds answered by the authorizer and never
 * stored (`virtual`); apiserver/authz/access-reviews.ts answers them.
 */

const common = {
  group: 'authorization.k8s.io',
  version: 'v1',
  shortNames: [],
  categories: [],
  subresources: [],
  nameRule: 'path',
  columns: DEFAULT_COLUMNS,
} as const;

export const selfSubjectAccessReviews: ResourceDef = {
  ...common,
  kind: 'SelfSubjectAccessReview',
  plural: 'selfsubjectaccessreviews',
  singular: 'selfsubjectaccessreview',
  namespaced: false,
  schemaName: 'io.k8s.api.authorization.v1.SelfSubjectAccessReview',
  virtual: (ctx, obj, user) => selfSubjectAccessReview(ctx, obj, user, selfSubjectAccessReviews),
};

export const subjectAccessReviews: ResourceDef = {
  ...common,
  kind: 'SubjectAccessReview',
  plural: 'subjectaccessreviews',
  singular: 'subjectaccessreview',
  namespaced: false,
  schemaName: 'io.k8s.api.authorization.v1.SubjectAccessReview',
  virtual: (ctx, obj, user) => subjectAccessReview(ctx, obj, user, subjectAccessReviews),
};

export const localSubjectAccessReviews: ResourceDef = {
  ...common,
  kind: 'LocalSubjectAccessReview',
  plural: 'localsubjectaccessreviews',
  singular: 'localsubjectaccessreview',
  namespaced: true,
  schemaName: 'io.k8s.api.authorization.v1.LocalSubjectAccessReview',
  virtual: (ctx, obj, user) => localSubjectAccessReview(ctx, obj, user, localSubjectAccessReviews),
};

export const selfSubjectRulesReviews: ResourceDef = {
  ...common,
  kind: 'SelfSubjectRulesReview',
  plural: 'selfsubjectrulesreviews',
  singular: 'selfsubjectrulesreview',
  namespaced: false,
  schemaName: 'io.k8s.api.authorization.v1.SelfSubjectRulesReview',
  virtual: (ctx, obj, user) => selfSubjectRulesReview(ctx, obj, user),
};
