import type { Config } from './config.js';
import { ConfigError, loadConfig } from './config.js';
import type { UserDirs } from './paths.js';
import type { TaskStore } from './task-store.js';
import type { Terminals } from './terminals.js';

/** A project the core is working on: its root, task store, configuration and the terminals of its agents. */
export interface Project {
  root: string;
  store: TaskStore;
  /** The project's configuration; throws its ConfigError when a config file is broken. */
  readonly config: Config;
  /** Why the configuration cannot be used, if it cannot: reported, but no obstacle to listing or stopping. */
  configError: ConfigError | undefined;
  terminals: Terminals;
  dirs: UserDirs;
}

/** The project at `root`, with its configuration read afresh (a person may have just edited it). */
export function openProject(root: string, store: TaskStore, dirs: UserDirs, terminals: Terminals): Project {
  let config: Config | undefined;
  let configError: ConfigError | undefined;
  try {
    config = loadConfig(root, dirs.config);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    configError = error;
  }
  return {
    root,
    store,
    get config(): Config {
      if (configError) throw configError;
      return config!;
    },
    configError,
    terminals,
    dirs,
  };
}
