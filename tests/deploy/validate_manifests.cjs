// deploy/kubernetes/ checked three ways: every object against the Kubernetes API schemas
// (kubernetes-models from npm, ajv underneath), the objects against each other (selectors, named
// ports, volumes, the master Service the workers name), and each endure command line against
// endure itself (`endure ARGS --list` parses every option and loads the ConfigMap's locustfile).
// Then it breaks valid copies on purpose and requires every breakage to be caught, so the check
// is proven able to fail.
//
//   node validate_manifests.cjs DIR [--no-self-test]
//   env: ENDURE_BIN (the endure binary), NODE_MODULES (where `npm ci` installed the packages)
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const modules = process.env.NODE_MODULES || path.join(__dirname, 'node_modules');
const YAML = require(path.join(modules, 'yaml'));
const endureBin = process.env.ENDURE_BIN;

function loadDir(dir) {
  const docs = [];
  for (const name of fs.readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort()) {
    const text = fs.readFileSync(path.join(dir, name), 'utf8');
    for (const doc of YAML.parseAllDocuments(text)) {
      if (doc.errors.length) throw new Error(`${name}: not valid YAML: ${doc.errors[0].message}`);
      const obj = doc.toJS();
      if (obj !== null && obj !== undefined) docs.push({ file: name, obj });
    }
  }
  return docs;
}

function label(d) {
  return `${d.file}: ${d.obj && d.obj.kind}/${d.obj && d.obj.metadata && d.obj.metadata.name}`;
}

// The API schema of the object's apiVersion and kind.
function schemaErrors(d) {
  const { apiVersion, kind } = d.obj;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') return [`${label(d)}: no apiVersion/kind`];
  let Model;
  try {
    Model = require(path.join(modules, 'kubernetes-models', apiVersion))[kind];
  } catch (e) {
    Model = undefined;
  }
  if (!Model) return [`${label(d)}: unknown apiVersion/kind ${apiVersion} ${kind}`];
  try {
    new Model(d.obj).validate();
    return [];
  } catch (e) {
    return [`${label(d)}: ${e.message}`];
  }
}

const subset = (small, big) => Object.entries(small || {}).every(([k, v]) => big && big[k] === v);

// References between the objects, as the cluster would resolve them.
function crossErrors(docs) {
  const errors = [];
  const of = (kind) => docs.filter((d) => d.obj.kind === kind);
  const configMaps = new Map(of('ConfigMap').map((d) => [d.obj.metadata.name, d.obj]));
  const deployments = of('Deployment');
  for (const d of deployments) {
    const spec = d.obj.spec || {};
    const labels = (spec.template && spec.template.metadata && spec.template.metadata.labels) || {};
    if (!subset(spec.selector && spec.selector.matchLabels, labels))
      errors.push(`${label(d)}: spec.selector.matchLabels do not match the pod template's labels`);
    const pod = (spec.template && spec.template.spec) || {};
    const volumes = new Map((pod.volumes || []).map((v) => [v.name, v]));
    for (const v of volumes.values())
      if (v.configMap && !configMaps.has(v.configMap.name))
        errors.push(`${label(d)}: volume ${v.name} names ConfigMap ${v.configMap.name}, which is not in the manifests`);
    for (const c of pod.containers || [])
      for (const m of c.volumeMounts || [])
        if (!volumes.has(m.name)) errors.push(`${label(d)}: container ${c.name} mounts unknown volume ${m.name}`);
  }
  for (const s of of('Service')) {
    const targets = deployments.filter((d) => subset(s.obj.spec.selector, d.obj.spec.template.metadata.labels));
    if (targets.length !== 1) {
      errors.push(`${label(s)}: its selector matches ${targets.length} Deployments (expected 1)`);
      continue;
    }
    const named = new Set();
    for (const c of targets[0].obj.spec.template.spec.containers)
      for (const p of c.ports || []) named.add(p.name).add(p.containerPort);
    for (const p of s.obj.spec.ports || [])
      if (!named.has(p.targetPort === undefined ? p.port : p.targetPort))
        errors.push(`${label(s)}: port ${p.name} targets ${p.targetPort}, which no container of ${targets[0].obj.metadata.name} declares`);
  }
  return errors;
}

function optionValue(args, name, fallback) {
  for (let i = 0; i < args.length; ++i) {
    if (args[i] === name) return args[i + 1];
    if (args[i].startsWith(name + '=')) return args[i].slice(name.length + 1);
  }
  return fallback;
}

// Each endure container's command line, run as `endure ARGS --list` with the ConfigMap files at
// their mount path (moved under a temporary folder). Also: a worker's --master-host is a Service
// of the manifests that has its --master-port.
function commandErrors(docs) {
  const errors = [];
  const configMaps = new Map(docs.filter((d) => d.obj.kind === 'ConfigMap').map((d) => [d.obj.metadata.name, d.obj]));
  const services = new Map(docs.filter((d) => d.obj.kind === 'Service').map((d) => [d.obj.metadata.name, d.obj]));
  let commands = 0;
  const secrets = new Set();  // the Secret (name/key) behind each endure's --cluster-secret-file
  for (const d of docs.filter((x) => x.obj.kind === 'Deployment')) {
    const pod = d.obj.spec.template.spec;
    const volumes = new Map((pod.volumes || []).map((v) => [v.name, v]));
    for (const c of pod.containers) {
      const argv = [...(c.command || []), ...(c.args || [])];
      if (argv[0] !== 'endure') continue;
      ++commands;
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'endure-k8s-'));
      try {
        const mounts = [];
        for (const m of c.volumeMounts || []) {
          const v = volumes.get(m.name);
          const local = path.join(root, m.mountPath);
          fs.mkdirSync(local, { recursive: true });
          mounts.push([m.mountPath, local]);
          const cm = v && v.configMap && configMaps.get(v.configMap.name);
          for (const [file, text] of Object.entries((cm && cm.data) || {})) fs.writeFileSync(path.join(local, file), text);
        }
        const args = argv.slice(1).map((a) => {
          for (const [from, to] of mounts) if (a.startsWith(from)) return to + a.slice(from.length);
          return a;
        });
        const r = spawnSync(endureBin, [...args, '--list'], { encoding: 'utf8', timeout: 60000, env: { PATH: process.env.PATH, HOME: root } });
        if (r.status !== 0)
          errors.push(`${label(d)}: endure refuses its command line (exit ${r.status}): ${(r.stderr || '').trim()}`);
        secrets.add(secretBehind(argv.slice(1), c, volumes));
        if (args.includes('--worker')) {
          const host = optionValue(args, '--master-host', '127.0.0.1');
          const port = Number(optionValue(args, '--master-port', '5557'));
          const svc = services.get(host);
          if (!svc) errors.push(`${label(d)}: --master-host ${host} is not a Service of the manifests`);
          else if (!(svc.spec.ports || []).some((p) => p.port === port))
            errors.push(`${label(d)}: Service ${host} has no port ${port} (--master-port)`);
        }
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    }
  }
  if (commands === 0) errors.push('no container runs endure');
  // Master and workers must share one secret (or none): otherwise every worker is refused.
  if (secrets.size > 1)
    errors.push(`the endure containers do not share one --cluster-secret-file Secret: ${[...secrets].join(', ')}`);
  return errors;
}

// "secret NAME/KEY" for --cluster-secret-file on a Secret volume, "none" without the option.
function secretBehind(args, container, volumes) {
  const file = optionValue(args, '--cluster-secret-file', undefined);
  if (file === undefined) return 'none';
  for (const m of container.volumeMounts || []) {
    const v = volumes.get(m.name);
    if (v && v.secret && file.startsWith(m.mountPath + '/'))
      return `secret ${v.secret.secretName}/${file.slice(m.mountPath.length + 1)}`;
  }
  return `file ${file} (not on a Secret volume)`;
}

function check(docs) {
  // The references are followed only in objects the schemas accept (they may be any shape before).
  const schema = docs.flatMap(schemaErrors);
  if (schema.length) return schema;
  const cross = crossErrors(docs);
  return cross.length ? cross : commandErrors(docs);
}

// Breakages the check must catch, each applied to a fresh copy of the valid manifests.
const breakages = [
  ['replicas as text', (docs) => { find(docs, 'Deployment', 'endure-worker').spec.replicas = 'four'; }],
  ['containerPort as text', (docs) => { find(docs, 'Deployment', 'endure-master').spec.template.spec.containers[0].ports[0].containerPort = 'x'; }],
  ['container without a name', (docs) => { delete find(docs, 'Deployment', 'endure-worker').spec.template.spec.containers[0].name; }],
  ['Service without ports as a string', (docs) => { find(docs, 'Service', 'endure-master').spec.ports = 'all'; }],
  ['selector not matching the pods', (docs) => { find(docs, 'Deployment', 'endure-worker').spec.selector.matchLabels.extra = 'x'; }],
  ['Service port to an undeclared container port', (docs) => { find(docs, 'Service', 'endure-master').spec.ports[0].targetPort = 'nope'; }],
  ['ConfigMap missing', (docs) => { docs.splice(docs.findIndex((d) => d.obj.kind === 'ConfigMap'), 1); }],
  ['a bad endure option value', (docs) => { const a = find(docs, 'Deployment', 'endure-master').spec.template.spec.containers[0].args; a[a.indexOf('--expect-workers') + 1] = 'zero'; }],
  ['an unknown endure option', (docs) => { find(docs, 'Deployment', 'endure-worker').spec.template.spec.containers[0].args.push('--no-such-option'); }],
  ['workers without the cluster secret', (docs) => { const a = find(docs, 'Deployment', 'endure-worker').spec.template.spec.containers[0].args; a.splice(a.indexOf('--cluster-secret-file'), 2); }],
  ['workers pointed at a host that is not the master Service', (docs) => { const a = find(docs, 'Deployment', 'endure-worker').spec.template.spec.containers[0].args; a[a.indexOf('--master-host') + 1] = 'locust-master'; }],
];

function find(docs, kind, name) {
  const d = docs.find((x) => x.obj.kind === kind && x.obj.metadata.name === name);
  if (!d) throw new Error(`self-test: no ${kind} ${name} in the manifests`);
  return d.obj;
}

function main() {
  const dir = process.argv[2];
  if (!dir || !endureBin) {
    console.error('usage: ENDURE_BIN=... node validate_manifests.cjs DIR [--no-self-test]');
    process.exit(2);
  }
  const docs = loadDir(dir);
  const errors = check(docs);
  for (const e of errors) console.error('FAIL ' + e);
  console.log(`${docs.length} objects in ${dir}: ${errors.length ? errors.length + ' problems' : 'valid'}`);
  if (errors.length) process.exit(1);
  if (process.argv.includes('--no-self-test')) return;
  let missed = 0;
  for (const [what, breakIt] of breakages) {
    const copy = JSON.parse(JSON.stringify(docs));
    breakIt(copy);
    const found = check(copy);
    if (found.length === 0) {
      console.error(`FAIL self-test: "${what}" was not caught`);
      ++missed;
    } else {
      console.log(`self-test: "${what}" caught: ${found[0].slice(0, 160)}`);
    }
  }
  if (missed) process.exit(1);
}

main();
