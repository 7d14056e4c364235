// docker-compose.yml as the compose tests see it: the services, their bind mounts resolved against
// the repository and against the container, parsed once.

import { readFileSync } from 'node:fs';
import { isAbsolute, join, posix } from 'node:path';
import { parse } from 'yaml';
import { PROJECT_ROOT } from '../../devkit/paths.js';

export const COMPOSE_FILE = join(PROJECT_ROOT, 'docker-compose.yml');

export interface BindMount {
  /** Absolute path on the host (the repository checkout). */
  source: string;
  /** Path inside the container. */
  target: string;
  /** The source relative to the repository root, e.g. `build/shadowdiff.wasm`. */
  repoPath: string;
}

export interface ComposeService {
  name: string;
  image: string;
  workingDir: string | undefined;
  command: string[];
  mounts: BindMount[];
  /** `docker compose --profile P` starts it; none: the default stack */
  profiles: string[];
  environment: Record<string, string>;
}

interface RawService {
  image?: unknown;
  working_dir?: unknown;
  command?: unknown;
  volumes?: unknown;
  profiles?: unknown;
  environment?: unknown;
}

/** The services of docker-compose.yml; YAML merge keys (`<<: *node-service`) resolved. */
export function composeServices(): ComposeService[] {
  const document = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as { services?: Record<string, RawService> };
  return Object.entries(document.services ?? {}).map(([name, raw]) => ({
    name,
    image: stringOf(raw.image, `${name}.image`),
    workingDir: raw.working_dir === undefined ? undefined : stringOf(raw.working_dir, `${name}.working_dir`),
    command: raw.command === undefined ? [] : stringsOf(raw.command, `${name}.command`),
    mounts: raw.volumes === undefined ? [] : stringsOf(raw.volumes, `${name}.volumes`).map((volume) => bindMount(volume, name)),
    profiles: raw.profiles === undefined ? [] : stringsOf(raw.profiles, `${name}.profiles`),
    environment: raw.environment === undefined ? {} : stringMapOf(raw.environment, `${name}.environment`),
  }));
}

export function composeService(name: string): ComposeService {
  const service = composeServices().find((candidate) => candidate.name === name);
  if (service === undefined) throw new Error(`docker-compose.yml has no service ${name}`);
  return service;
}

/** The host file a container path comes from, through the service's bind mounts (longest target wins). */
export function hostPathOf(service: ComposeService, containerPath: string): string | undefined {
  const absolute = posix.isAbsolute(containerPath) ? containerPath : posix.join(service.workingDir ?? '/', containerPath);
  const mount = service.mounts
    .filter((m) => absolute === m.target || absolute.startsWith(`${m.target.replace(/\/$/, '')}/`))
    .sort((a, b) => b.target.length - a.target.length)[0];
  return mount === undefined ? undefined : join(mount.source, posix.relative(mount.target, absolute));
}

/** Short syntax only: `./host/path:/container/path[:ro]`, the form docker-compose.yml uses. */
function bindMount(volume: string, service: string): BindMount {
  const [source, target] = volume.split(':');
  if (source === undefined || target === undefined || !source.startsWith('.') || !posix.isAbsolute(target)) {
    throw new Error(`${service}: volume "${volume}" is not a relative bind mount ./path:/container/path`);
  }
  const repoPath = posix.normalize(source);
  return {
    source: isAbsolute(repoPath) ? repoPath : join(PROJECT_ROOT, repoPath),
    target,
    repoPath: repoPath === '.' ? '' : repoPath.replace(/\/$/, ''),
  };
}

function stringOf(value: unknown, where: string): string {
  if (typeof value !== 'string') throw new Error(`docker-compose.yml: ${where} is not a string`);
  return value;
}

/** The map form of `environment` (the form docker-compose.yml uses), values as strings. */
function stringMapOf(value: unknown, where: string): Record<string, string> {
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    !Object.values(value).every((item) => typeof item === 'string')
  ) {
    throw new Error(`docker-compose.yml: ${where} is not a map of strings`);
  }
  return value as Record<string, string>;
}

function stringsOf(value: unknown, where: string): string[] {
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    throw new Error(`docker-compose.yml: ${where} is not a list of strings`);
  }
  return value;
}
