/**
 * Folds nested stacks (`AWS::CloudFormation::Stack`) into their parent's template, so that the local
 * cloud reads one deployment as one template, however its resources are split between stacks:
 *
 * - a nested template's `Ref` to one of its Parameters becomes the value the parent passes for it
 *   (`Parameters` of the stack resource: a `Ref`/`Fn::GetAtt` of the parent's resources), or the
 *   parameter's default;
 * - the parent's `Fn::GetAtt [Nested, Outputs.X]` becomes the value of that output in the nested
 *   template;
 * - nested resources keep their logical ids unless one is already taken (then the stack's logical id is
 *   put in front), and each is marked with the logical id of the stack it came from.
 *
 * Nothing here knows any service: a stack of any content folds the same way.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CfnTemplate, Json, Resource } from './template';

const NESTED_STACK_TYPE = 'AWS::CloudFormation::Stack';
/** Where `cdk synth` names a nested stack's template file (relative to the cloud assembly) on its resource. */
export const ASSET_PATH_METADATA = 'aws:asset:path';
/** Metadata the folding adds to each resource of a nested stack: the stack it came from (`Outer/Inner` when nested twice). */
export const NESTED_STACK_METADATA = 'local:nested-stack';

/** Gives the template of the nested stack `logicalId` (its resource in the parent is `resource`). */
export type NestedTemplateLoader = (logicalId: string, resource: Resource) => CfnTemplate;

/** Reads nested templates from a cloud assembly directory, by the asset path CDK records on each stack resource. */
export function nestedTemplatesIn(assemblyDir: string): NestedTemplateLoader {
  return (logicalId, resource) => {
    const file = resource.Metadata?.[ASSET_PATH_METADATA];
    if (typeof file !== 'string') {
      throw new Error(
        `Nested stack ${logicalId} names no template file (${ASSET_PATH_METADATA}): synthesize with the context ` +
          `aws:cdk:enable-asset-metadata=true, as cdk synth does.`,
      );
    }
    return JSON.parse(readFileSync(path.join(assemblyDir, file), 'utf8')) as CfnTemplate;
  };
}

const isObject = (v: Json | undefined): v is { [key: string]: Json } =>
  !!v && typeof v === 'object' && !Array.isArray(v);

/** The one key of an intrinsic function such as `{ "Ref": … }`, or undefined. */
const intrinsic = (v: { [key: string]: Json }) => {
  const keys = Object.keys(v);
  return keys.length === 1 ? keys[0] : undefined;
};

const getAttTarget = (arg: Json): [string, string] => {
  const [id, ...att] = Array.isArray(arg) ? arg.map(String) : String(arg).split('.');
  return [id ?? '', att.join('.')];
};

/** `${Name}` and `${Name.Attr}` references of a Fn::Sub text (not the `${!Literal}` escapes). */
const SUB_REFERENCE = /\$\{([^!}][^}]*)\}/g;

/** The template with every nested stack folded in (nested stacks of nested stacks too). */
export function foldNestedStacks(template: CfnTemplate, load: NestedTemplateLoader): CfnTemplate {
  const stacks = Object.entries(template.Resources).filter(([, r]) => r.Type === NESTED_STACK_TYPE);
  if (stacks.length === 0) return template;

  const resources: Record<string, Resource> = {};
  const taken = new Set(Object.keys(template.Resources).concat(Object.keys(template.Parameters ?? {})));
  for (const [id, r] of Object.entries(template.Resources))
    if (r.Type !== NESTED_STACK_TYPE) resources[id] = r;
  /** Each nested stack's outputs, in the folded template's terms. */
  const outputs = new Map<string, Record<string, Json>>();

  for (const [stackId, stackResource] of stacks) {
    const inner = foldNestedStacks(load(stackId, stackResource), load);
    const passed = (stackResource.Properties?.Parameters ?? {}) as Record<string, Json>;
    const parameters = inner.Parameters ?? {};
    const parameter = (name: string): Json => {
      if (name in passed) return passed[name]!;
      const fallback = parameters[name]?.Default;
      if (fallback === undefined)
        throw new Error(`Nested stack ${stackId}: its parameter ${name} is neither passed nor defaulted`);
      return fallback;
    };
    const rename = new Map<string, string>();
    for (const innerId of Object.keys(inner.Resources)) {
      let folded = innerId;
      for (let n = 1; taken.has(folded); n++) folded = `${stackId}${innerId}${n > 1 ? n : ''}`;
      taken.add(folded);
      rename.set(innerId, folded);
    }
    const renamed = (id: string) => rename.get(id) ?? id;

    // Rewrites a nested value into the parent's terms; a parameter's value is the parent's already.
    const rewrite = (value: Json): Json => {
      if (Array.isArray(value)) return value.map(rewrite);
      if (!isObject(value)) return value;
      const key = intrinsic(value);
      const arg = key ? value[key]! : null;
      if (key === 'Ref') {
        const name = String(arg);
        if (name in parameters) return parameter(name);
        return { Ref: renamed(name) };
      }
      if (key === 'Fn::GetAtt') {
        const [id, att] = getAttTarget(arg);
        return { 'Fn::GetAtt': [renamed(id), att] };
      }
      if (key === 'Fn::Sub') {
        const [text, vars] = Array.isArray(arg)
          ? [String(arg[0]), (arg[1] ?? {}) as { [key: string]: Json }]
          : [String(arg), {}];
        const newVars: { [key: string]: Json } = Object.fromEntries(
          Object.entries(vars).map(([k, v]) => [k, rewrite(v)]),
        );
        const newText = text.replace(SUB_REFERENCE, (whole, name: string) => {
          if (name in vars) return whole;
          const [base, ...att] = name.split('.');
          if (base && base in parameters && att.length === 0) {
            newVars[name] = parameter(base);
            return whole;
          }
          return base && rename.has(base) ? `\${${[renamed(base), ...att].join('.')}}` : whole;
        });
        return { 'Fn::Sub': Object.keys(newVars).length > 0 ? [newText, newVars] : newText };
      }
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v)]));
    };

    for (const [innerId, r] of Object.entries(inner.Resources)) {
      const from = r.Metadata?.[NESTED_STACK_METADATA];
      resources[renamed(innerId)] = {
        ...r,
        ...(r.Properties && { Properties: rewrite(r.Properties) as Record<string, Json> }),
        ...(r.DependsOn && { DependsOn: [r.DependsOn].flat().map(renamed) }),
        Metadata: {
          ...r.Metadata,
          [NESTED_STACK_METADATA]: typeof from === 'string' ? `${stackId}/${from}` : stackId,
        },
      };
    }
    outputs.set(
      stackId,
      Object.fromEntries(Object.entries(inner.Outputs ?? {}).map(([name, o]) => [name, rewrite(o.Value)])),
    );
  }

  // The parent's (and the nested stacks' parameters') reads of nested outputs, and its waits on them.
  const resolveOutputs = (value: Json): Json => {
    if (Array.isArray(value)) return value.map(resolveOutputs);
    if (!isObject(value)) return value;
    if (intrinsic(value) === 'Fn::GetAtt') {
      const [id, att] = getAttTarget(value['Fn::GetAtt']!);
      const stackOutputs = outputs.get(id);
      if (stackOutputs) {
        const name = att.replace(/^Outputs\./, '');
        if (!(name in stackOutputs)) throw new Error(`Nested stack ${id} has no output ${name}`);
        return resolveOutputs(stackOutputs[name]!);
      }
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveOutputs(v)]));
  };
  for (const [id, r] of Object.entries(resources)) {
    const dependsOn = r.DependsOn && [r.DependsOn].flat().filter((d) => !outputs.has(d));
    resources[id] = {
      ...r,
      ...(r.Properties && { Properties: resolveOutputs(r.Properties) as Record<string, Json> }),
      ...(dependsOn && { DependsOn: dependsOn }),
    };
  }
  return {
    ...template,
    Resources: resources,
    ...(template.Outputs && {
      Outputs: Object.fromEntries(
        Object.entries(template.Outputs).map(([name, o]) => [name, { ...o, Value: resolveOutputs(o.Value) }]),
      ),
    }),
  };
}
