import type { CheckOptionsById } from "../check-model.ts";
import type { MonitoredBot } from "../model.ts";
import type { CheckRegistry } from "./define-check.ts";

type OptionsSet = object;
/** `checks` of the config (complete, defaulted) or of one bot (what it overrides): per check id. */
type OptionsById = { readonly [id: string]: OptionsSet | undefined };

/**
 * A bot's options for every registered check: the config's defaults (`checks`), then what the bot
 * overrides (`bots[].checks`). Bots that override nothing share one frozen set, made once per config
 * and registry (bots are resolved one at a time too): at 10,000 bots a copy each would be 80,000
 * objects kept for nothing.
 */
export function mergeCheckOptions(registry: CheckRegistry, defaults: OptionsById, overrides: OptionsById): MonitoredBot["checks"] {
  const own = registry.map(({ id }) => definedOnly(overrides[id]));
  if (own.every((o) => Object.keys(o).length === 0)) return sharedDefaults(registry, defaults);
  return typed(Object.fromEntries(registry.map(({ id }, i) => [id, { ...defaults[id], ...own[i] }])));
}

const shared = new WeakMap<CheckRegistry, WeakMap<OptionsById, MonitoredBot["checks"]>>();
function sharedDefaults(registry: CheckRegistry, defaults: OptionsById): MonitoredBot["checks"] {
  let byConfig = shared.get(registry);
  if (!byConfig) shared.set(registry, (byConfig = new WeakMap()));
  let set = byConfig.get(defaults);
  if (!set) {
    set = typed(Object.freeze(Object.fromEntries(registry.map(({ id }) => [id, Object.freeze({ ...defaults[id] })]))));
    byConfig.set(defaults, set);
  }
  return set;
}

function definedOnly(options: OptionsSet | undefined): OptionsSet {
  return Object.fromEntries(Object.entries(options ?? {}).filter(([, v]) => v !== undefined));
}

/**
 * The one place options keyed by a runtime list of ids become the registry's typed map: they were
 * validated by the config schema made from that same registry (`configSchemaFor`), and each check
 * reads its own through `optionsFor`, over its defaults.
 */
function typed(options: CheckOptionsById | OptionsById): MonitoredBot["checks"] {
  return options as MonitoredBot["checks"];
}
