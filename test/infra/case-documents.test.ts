import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { describe, expect, it } from 'vitest';
import { deployments } from '../../infra/config/deployments';
import { DOCUMENT_FONT_FILE } from '../../infra/constructs/cases';
import type { Platform } from '../../infra/constructs/platform';
import { ENTRY_METADATA, PROJECT_ROOT, ServiceFunction } from '../../infra/constructs/service-function';
import { resourcesOf, synthStacks } from './synth';

const ENTRY = 'services/cases/handlers/documents.ts';

describe.each(synthStacks(deployments))(
  'the case documents of $stack.stackName',
  ({ deployment, template }) => {
    const functions = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).filter(
      (fn) => fn.Metadata?.[ENTRY_METADATA] === ENTRY,
    );
    const byHandler = (name: string) =>
      functions.find((fn) => String(fn.Properties?.Handler).endsWith(`.${name}`))?.Properties as
        | { Environment: { Variables: Record<string, string> }; MemorySize: number }
        | undefined;

    it('renders in a function that finds the font and has the memory to parse it', () => {
      const renderer = byHandler('handler');
      expect(renderer).toBeDefined();
      const font = renderer!.Environment.Variables.KCBX_DOCUMENT_FONT;
      if (deployment.local) {
        // The local cloud runs the source: the package's own file.
        expect(existsSync(font!)).toBe(true);
      } else {
        // Lambda serves the bundle, the copied font beside it, from /var/task.
        expect(font).toBe(`/var/task/${DOCUMENT_FONT_FILE}`);
      }
      expect(renderer!.Environment.Variables.KCBX_REGION_NAME).toBe(
        deployment.name.replace(/\s*\(.*\)$/, ''),
      );
      expect(renderer!.MemorySize).toBeGreaterThanOrEqual(1024);
    });

    it('hears of case.opened and case.state-changed through a queue, and serves the download route', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { source: ['kcbx.cases'], 'detail-type': ['case.opened', 'case.state-changed'] },
      });
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: 'GET /cases/{id}/documents/{documentId}',
      });
      // Commands (a 催告书 announces no state change) and the daily sweep can ask for documents.
      const asking = Object.values(resourcesOf(template, 'AWS::Lambda::Function')).filter(
        (fn) =>
          (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
            ?.KCBX_DOCUMENTS_QUEUE_URL !== undefined,
      );
      expect(asking.map((fn) => String(fn.Properties?.Handler)).sort()).toEqual([
        'index.actionHandler',
        'index.runHandler',
        'index.scheduledHandler',
      ]);
    });

    it('serves a case and a link to one of its documents from two functions, each with only its own grants', () => {
      const routes = Object.values(resourcesOf(template, 'AWS::ApiGatewayV2::Route'));
      const integrations = resourcesOf(template, 'AWS::ApiGatewayV2::Integration');
      const allFunctions = resourcesOf(template, 'AWS::Lambda::Function');
      const served = (routeKey: string) => {
        const route = routes.find((r) => r.Properties?.RouteKey === routeKey)!;
        const integrationId = JSON.stringify(route.Properties?.Target).match(/"Ref":"([^"]+)"/)![1]!;
        const uri = JSON.stringify(integrations[integrationId]!.Properties?.IntegrationUri);
        const fnId = uri.match(/"Fn::GetAtt":\["([^"]+)"/)![1]!;
        return { id: fnId, handler: String(allFunctions[fnId]!.Properties?.Handler) };
      };
      const view = served('GET /cases/{id}');
      const link = served('GET /cases/{id}/documents/{documentId}');
      expect(view.handler).toBe('index.getHandler');
      expect(link.handler).toBe('index.documentHandler');
      expect(link.id).not.toBe(view.id);
      // Only the link signs a download of reports/: the case view reads no object.
      const grants = (fnId: string) => {
        const role = JSON.stringify(allFunctions[fnId]!.Properties?.Role).match(
          /"Fn::GetAtt":\["([^"]+)"/,
        )![1]!;
        return JSON.stringify(
          Object.values(resourcesOf(template, 'AWS::IAM::Policy')).filter((p) =>
            JSON.stringify(p.Properties?.Roles).includes(`"${role}"`),
          ),
        );
      };
      expect(grants(link.id)).toContain('/reports/*');
      expect(grants(view.id)).not.toContain('s3:GetObject');
      for (const f of [view, link]) expect(grants(f.id)).toContain('dynamodb:PutItem'); // the audit trail
    });
  },
);

describe('a function bundled with files', () => {
  it('gets the font copied next to its bundle', () => {
    const outdir = mkdtempSync(path.join(tmpdir(), 'kcbx-bundle-'));
    try {
      const app = new App({ outdir });
      const stack = new Stack(app, 'Bundled', { env: { region: 'cn-northwest-1' } });
      // ServiceFunction reads only these of the platform.
      const platform = {
        deployment: deployments.find((d) => !d.local)!,
        key: new kms.Key(stack, 'Key'),
        removalPolicy: RemovalPolicy.DESTROY,
        alarmTopic: new sns.Topic(stack, 'Alarms'),
      } as unknown as Platform;
      const fontSource = 'node_modules/@embedpdf/fonts-sc/fonts/NotoSansHans-Regular.otf';
      new ServiceFunction(stack, 'Documents', {
        platform,
        service: 'cases',
        entry: ENTRY,
        description: 'bundling test',
        bundleFiles: [{ source: fontSource, target: DOCUMENT_FONT_FILE }],
      });
      app.synth();
      const bundles = readdirSync(outdir)
        .filter((d) => d.startsWith('asset.'))
        .map((d) => path.join(outdir, d))
        .filter((d) => existsSync(path.join(d, 'index.mjs')));
      expect(bundles).toHaveLength(1);
      const font = path.join(bundles[0]!, DOCUMENT_FONT_FILE);
      expect(statSync(font).size).toBe(statSync(path.join(PROJECT_ROOT, fontSource)).size);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }, 120_000);
});
