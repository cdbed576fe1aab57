// Validates rendered Kubernetes manifests (kubectl kustomize output: YAML documents separated by
// ---) against the Kubernetes API schemas shipped in the npm package kubernetes-models.
//
//   kubectl kustomize k8s/overlays/prod | node k8s/validate/validate.mjs --source prod
//   node k8s/validate/validate.mjs rendered.yaml [more.yaml …]
//
// Every object is checked by the model class of its apiVersion and kind. An object whose kind
// has no model here (a custom resource such as Argo CD's Application) is an error, not skipped:
// this check must not pass by not looking. Exit status: 0 all valid, 1 an object is invalid or
// unknown, 2 unreadable input (not YAML, no objects, bad arguments).
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const args = process.argv.slice(2);
let source = null;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--source") {
    source = args[++i];
  } else if (args[i] === "-h" || args[i] === "--help") {
    console.log("usage: node validate.mjs [--source NAME] [FILE …]   (stdin without FILE)");
    process.exit(0);
  } else if (args[i].startsWith("-")) {
    console.error(`unknown option ${args[i]}`);
    process.exit(2);
  } else {
    files.push(args[i]);
  }
}

const inputs =
  files.length === 0
    ? [{ name: source ?? "<stdin>", text: readFileSync(0, "utf8") }]
    : files.map((f) => ({ name: source ? `${source}:${f}` : f, text: readFileSync(f, "utf8") }));

// apiVersion "apps/v1" → kubernetes-models/apps/v1/<Kind>; the core group "v1" → kubernetes-models/v1/<Kind>.
async function modelFor(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string" || !/^[A-Za-z0-9]+$/.test(kind)) {
    return null;
  }
  if (!/^([a-z0-9.-]+\/)?v[0-9]+((alpha|beta)[0-9]+)?$/.test(apiVersion)) {
    return null;
  }
  try {
    const module = await import(`kubernetes-models/${apiVersion}/${kind}`);
    return module[kind] ?? null;
  } catch (e) {
    if (e.code === "ERR_PACKAGE_PATH_NOT_EXPORTED" || e.code === "ERR_MODULE_NOT_FOUND") {
      return null;
    }
    throw e;
  }
}

function describe(obj, index) {
  const kind = obj?.kind ?? "<no kind>";
  const name = obj?.metadata?.name ?? "<no name>";
  const namespace = obj?.metadata?.namespace;
  return `${kind} ${namespace ? namespace + "/" : ""}${name} (document ${index + 1})`;
}

let checked = 0;
const problems = [];
for (const input of inputs) {
  const docs = parseAllDocuments(input.text);
  if (!Array.isArray(docs)) {
    console.error(`${input.name}: not YAML documents`);
    process.exit(2);
  }
  for (const [index, doc] of docs.entries()) {
    if (doc.errors.length > 0) {
      console.error(`${input.name}: document ${index + 1} is not valid YAML: ${doc.errors[0].message}`);
      process.exit(2);
    }
    const obj = doc.toJS();
    if (obj === null || obj === undefined) {
      continue; // an empty document (a trailing ---)
    }
    checked++;
    const what = `${input.name}: ${describe(obj, index)}`;
    if (typeof obj !== "object" || Array.isArray(obj)) {
      problems.push(`${what}: not an object`);
      continue;
    }
    if (typeof obj.metadata?.name !== "string" || obj.metadata.name === "") {
      problems.push(`${what}: metadata.name is missing`);
      continue;
    }
    const Model = await modelFor(obj.apiVersion, obj.kind);
    if (Model === null) {
      problems.push(
        `${what}: unknown apiVersion/kind ${obj.apiVersion}/${obj.kind}: no Kubernetes schema ` +
          `to check it against (not a built-in API of kubernetes-models)`,
      );
      continue;
    }
    try {
      new Model(obj).validate();
    } catch (e) {
      problems.push(`${what}: ${e.message}`);
    }
  }
}

if (checked === 0) {
  console.error("no objects in the input");
  process.exit(2);
}
for (const p of problems) {
  console.log(`INVALID ${p}`);
}
if (problems.length > 0) {
  console.log(`${problems.length} of ${checked} objects invalid`);
  process.exit(1);
}
console.log(`${checked} objects valid`);
