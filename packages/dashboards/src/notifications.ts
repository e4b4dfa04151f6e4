/**
 * Where the alerts go (file provisioning, apiVersion 1): one contact point, a webhook whose URL the
 * deployment gives (CS_ALERT_WEBHOOK_URL in Grafana's environment: Slack, Teams, PagerDuty, an
 * Alertmanager…), and the notification policy tree. Provisioning a policy replaces Grafana's whole
 * tree, so this file is the single place alert routing is decided.
 */
import { NotificationPolicyBuilder, MatchType, type ContactPoint, type NotificationPolicy } from '@grafana/grafana-foundation-sdk/alerting';

export const CONTACT_POINT = 'cs-analytics-oncall';
/** The environment variable Grafana interpolates into the webhook URL when it loads the file. */
export const WEBHOOK_URL_ENV = 'CS_ALERT_WEBHOOK_URL';

export interface NotificationsFile {
  apiVersion: 1;
  contactPoints: { orgId: number; name: string; receivers: Omit<ContactPoint, 'name' | 'provenance'>[] }[];
  policies: (NotificationPolicy & { orgId: number })[];
}

export function notifications(): NotificationsFile {
  const policy = new NotificationPolicyBuilder()
    .receiver(CONTACT_POINT)
    .groupBy(['grafana_folder', 'alertname', 'business_unit'])
    .groupWait('30s')
    .groupInterval('5m')
    .repeatInterval('4h')
    .routes([
      // Pipeline health (severity critical): sooner, and repeated hourly while it lasts.
      new NotificationPolicyBuilder()
        .receiver(CONTACT_POINT)
        .objectMatchers([['severity', MatchType.Equal, 'critical']])
        .groupBy(['grafana_folder', 'alertname'])
        .groupWait('10s')
        .repeatInterval('1h'),
    ])
    .build();
  return {
    apiVersion: 1,
    contactPoints: [
      {
        orgId: 1,
        name: CONTACT_POINT,
        receivers: [{ uid: 'cs-analytics-webhook', type: 'webhook', settings: { url: `\${${WEBHOOK_URL_ENV}}`, httpMethod: 'POST' }, disableResolveMessage: false }],
      },
    ],
    policies: [{ orgId: 1, ...policy }],
  };
}
