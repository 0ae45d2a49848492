import {
  type FilterPlugin,
  isFilterPlugin,
  isPreFilterPlugin,
  isPreScorePlugin,
  isScorePlugin,
  type Plugin,
  type PreFilterPlugin,
  type PreScorePlugin,
  type ScorePlugin,
} from './interfaces.js';

export interface WeightedScorePlugin {
  readonly plugin: ScorePlugin;
  /** Multiplies the plugin's normalised score when nodes are ranked. */
  readonly weight: number;
}

/**
 * A scheduling profile (KubeSchedulerProfile): the plugins at each extension point, in order,
 * for pods whose `spec.schedulerName` is `schedulerName`.
 */
export interface Profile {
  readonly schedulerName: string;
  readonly preFilter: readonly PreFilterPlugin[];
  readonly filter: readonly FilterPlugin[];
  readonly preScore: readonly PreScorePlugin[];
  readonly score: readonly WeightedScorePlugin[];
}

export type PluginFactory = () => Plugin;

/** One enabled plugin of a profile; `weight` applies to its Score (default 1). */
export interface EnabledPlugin {
  readonly name: string;
  readonly weight?: number;
}

/**
 * Plugins by name (kube-scheduler's plugins/registry.go): a profile names the plugins it
 * enables, in order, and each is placed at every extension point it implements.
 */
export class Registry {
  private readonly factories = new Map<string, PluginFactory>();

  register(name: string, factory: PluginFactory): this {
    if (this.factories.has(name)) throw new Error(`a plugin named ${name} is already registered`);
    this.factories.set(name, factory);
    return this;
  }

  names(): string[] {
    return [...this.factories.keys()];
  }

  /** Build a profile; throws on an unknown plugin name or a weight that is not a positive integer. */
  buildProfile(schedulerName: string, enabled: readonly EnabledPlugin[]): Profile {
    const preFilter: PreFilterPlugin[] = [];
    const filter: FilterPlugin[] = [];
    const preScore: PreScorePlugin[] = [];
    const score: WeightedScorePlugin[] = [];
    for (const e of enabled) {
      const factory = this.factories.get(e.name);
      if (!factory) throw new Error(`unknown scheduler plugin ${e.name}`);
      const weight = e.weight ?? 1;
      if (!Number.isInteger(weight) || weight < 1) throw new Error(`plugin ${e.name}: weight must be a positive integer, not ${weight}`);
      const plugin = factory();
      if (isPreFilterPlugin(plugin)) preFilter.push(plugin);
      if (isFilterPlugin(plugin)) filter.push(plugin);
      if (isPreScorePlugin(plugin)) preScore.push(plugin);
      if (isScorePlugin(plugin)) score.push({ plugin, weight });
    }
    return { schedulerName, preFilter, filter, preScore, score };
  }
}
