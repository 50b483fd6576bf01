import { GROUP } from '../api/group.js';
import type { KubeClient } from '../kube-api/client.js';
import type { ListedResource, ReviewedUser, Reviews } from './access-review.js';

interface TokenReviewStatus {
  status?: { authenticated?: boolean; user?: ReviewedUser; error?: string };
}

interface SubjectAccessReviewStatus {
  status?: { allowed?: boolean };
}

/** TokenReview and SubjectAccessReview through the operator's own client (deploy/rbac.yaml allows both). */
export function kubeReviews(client: KubeClient, timeoutMs = 10_000): Reviews {
  return {
    async authenticate(token) {
      try {
        const review = await client.request<TokenReviewStatus>(
          'POST',
          '/apis/authentication.k8s.io/v1/tokenreviews',
          {
            body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
            timeoutMs,
          },
        );
        const user = review.status?.user;
        return review.status?.authenticated && user?.username ? user : undefined;
      } catch (err) {
        throw new Error('TokenReview failed', { cause: err });
      }
    },
    async mayList(user, resource: ListedResource, namespace) {
      try {
        const review = await client.request<SubjectAccessReviewStatus>(
          'POST',
          '/apis/authorization.k8s.io/v1/subjectaccessreviews',
          {
            body: {
              apiVersion: 'authorization.k8s.io/v1',
              kind: 'SubjectAccessReview',
              spec: {
                user: user.username,
                ...(user.uid ? { uid: user.uid } : {}),
                ...(user.groups ? { groups: user.groups } : {}),
                ...(user.extra ? { extra: user.extra } : {}),
                resourceAttributes: {
                  group: GROUP,
                  resource,
                  verb: 'list',
                  ...(namespace ? { namespace } : {}),
                },
              },
            },
            timeoutMs,
          },
        );
        return review.status?.allowed === true;
      } catch (err) {
        throw new Error(
          `SubjectAccessReview of list ${resource}${namespace ? ` in ${namespace}` : ''} failed`,
          {
            cause: err,
          },
        );
      }
    },
  };
}
