import { parseArgs } from 'node:util';
import { deployments } from '../config/deployments';
import { loadDemo } from './demo';
import { loadDemoCases } from './demo-cases';
import { startLocalCloud } from './local-cloud';
import { localDataDir } from './paths';

const { values } = parseArgs({
  options: {
    reset: { type: 'boolean', default: false },
    demo: { type: 'boolean', default: false },
    port: { type: 'string', default: process.env.KCBX_PORT ?? '3000' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(`npm start [-- options]   run kcbx on this machine (the local stack on emulators)

  --port <n>   port of the HTTP API (default 3000, or KCBX_PORT)
  --reset      start from empty data (tables, files, queues, events)
  --demo       load the generated demo county and print a token per role

Data lives in ${localDataDir()} (set KCBX_HOME to move it).`);
  process.exit(0);
}

// The functions run on nodejs22.x in the cloud; on a Node 20 workstation the SDK's notice
// about its future Node 22 requirement is noise on every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const started = Date.now();
const dataDir = localDataDir();
const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a number between 0 and 65535, not "${values.port}"`);
  process.exit(2);
}

try {
  const cloud = await startLocalCloud({ dataDir, port, reset: values.reset });
  const token = await cloud.token({ role: 'county', org: '530124', name: 'developer' });
  const lines = [
    '',
    `kcbx local cloud is up (${((Date.now() - started) / 1000).toFixed(1)} s) — stack ${cloud.model.stackName}`,
    `  API        ${cloud.apiUrl}`,
    `  routes     ${cloud.model.routes.map((r) => `${r.method} ${r.path}`).join(', ')}`,
    `  functions  ${cloud.model.functions.length}   queues ${cloud.model.queues.length}   tables ${cloud.model.tables.length}   rules ${cloud.model.rules.length}`,
    `  data       ${dataDir}${values.reset ? ' (reset)' : ''}`,
    '',
    'A development token (county 530124, 8 h):',
    `  export TOKEN=${token}`,
    '',
    'Try it:',
    `  curl -s -H "Authorization: Bearer $TOKEN" ${cloud.apiUrl}/me`,
    '',
    'Other tokens: npx kcbx token --role school --org 2153012401   (--help for roles)',
  ];
  if (values.demo) {
    console.error('Loading the demo county 富民县: uploading its rosters and running the comparison…');
    const demo = await loadDemo(cloud);
    const counts = Object.entries(demo.counts)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join('   ');
    lines.push(
      '',
      `Demo county 富民县 (530124) loaded: 10 rosters uploaded, comparison ${demo.comparisonId}:`,
      `  ${counts}`,
    );
    lines.push(
      `  curl -s -H "Authorization: Bearer $TOKEN" "${cloud.apiUrl}/comparisons/${demo.comparisonId}/results?outcome=ENROLLED_ABSENT"`,
    );
    console.error('Opening and working the demo cases (一生一案)…');
    const expected = (demo.counts.ENROLLED_ABSENT ?? 0) + (demo.counts.NOT_ENROLLED ?? 0);
    const threshold = deployments.find((d) => d.local)?.settings.absenceThreshold ?? 3;
    const cases = await loadDemoCases(cloud, expected, threshold);
    lines.push(
      '',
      `Cases: ${cases.cases} opened; ${cases.closedByData} raised by early comparisons (partial rosters) were closed by later ones (比对销号).`,
      `  By state: ${cases.byState.map(([state, n]) => `${state} ${n}`).join('   ')}`,
      `  curl -s -H "Authorization: Bearer $TOKEN" "${cloud.apiUrl}/cases?open=true"`,
      `  KCBX_TOKEN=$TOKEN npx kcbx stats --api ${cloud.apiUrl}`,
      '',
      cases.statsTable,
    );
    lines.push('', 'Tokens per role:');
    for (const { who, token: t } of demo.tokens) lines.push(`  ${who}:`, `    ${t}`);
  }
  lines.push('', 'Ctrl-C stops it; data is kept for the next start (npm start -- --reset clears it).', '');
  console.log(lines.join('\n'));

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping…');
    await cloud.stop();
    console.log('Stopped. Data kept in', dataDir);
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (err) {
  console.error(`kcbx could not start: ${(err as Error).message}`);
  process.exit(1);
}
