/**
 * The Dockerfile of a Node app image, as a pure function of its spec. `images/generate.ts`
 * writes these to `images/<name>.Dockerfile`; a unit test fails when a checked-in file drifts.
 */
import {
  dockerNodeImage,
  esbuildArgs,
  healthcheckCommand,
  imageRepository,
  imageUser,
  type NodeAppImage,
  nodeAppEntrypoint,
  nodeEnv,
  repoVersion,
} from "./spec.ts";

/** The checked-in path of an image's Dockerfile, relative to the repository root. */
export function dockerfilePath(image: NodeAppImage): string {
  return `images/${image.name}.Dockerfile`;
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: a Dockerfile build-arg reference, not JavaScript
const nodeImageArg = "${NODE_IMAGE}";

function shellWord(arg: string): string {
  if (arg.includes('"')) throw new Error(`esbuild argument must not contain a double quote: ${arg}`);
  if (!/[\s;'()]/.test(arg)) return arg;
  const eq = arg.indexOf("=");
  return `${arg.slice(0, eq + 1)}"${arg.slice(eq + 1)}"`;
}

function envLine(env: Readonly<Record<string, string>>): string {
  return `ENV ${Object.entries(env)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ")}`;
}

/** The esbuild step: the same arguments as the local builder, one continuation per group. */
function bundleStep(image: NodeAppImage): string[] {
  const args = esbuildArgs(image, "/out/main.mjs").map(shellWord);
  const lines = [
    ` && node_modules/.bin/esbuild ${args.slice(0, 4).join(" ")}`,
    `      ${args.slice(4, 7).join(" ")}`,
    ...args.slice(7).map((a) => `      ${a}`),
  ];
  return lines.map((line, i) => (i < lines.length - 1 ? `${line} \\` : line));
}

function header(image: NodeAppImage): string[] {
  const externals = image.externals.length
    ? `which keeps native and data-carrying\n# packages (${image.externals.join(" ")}) out of the bundle.`
    : `the bundle keeps\n# no package external.`;
  return [
    "# syntax=docker/dockerfile:1.7",
    `# ${image.name} image, generated from images/spec.ts by images/generate.ts: do not edit. Build from the repository root:`,
    `#   docker build -f ${dockerfilePath(image)} -t ghcr.io/${imageRepository(image)}:${repoVersion} .`,
    `# Stage 1 bundles ${image.entry} and its workspace libraries into one ESM file with esbuild`,
    "# (TypeScript is stripped at build time: no tsx in the image). Stage 2 installs only the",
    `# production dependencies of ${image.workspace} (npm ci --omit=dev), ${externals} Stage 3 is the non-root runtime.`,
    ...(image.addons?.length
      ? [
          `# The context must hold the native addons built on a Debian bookworm host (${image.addons.join(" ")}):`,
          "# node scripts/bootstrap.mjs builds them.",
        ]
      : []),
  ];
}

/** Renders the three-stage Dockerfile (build, deps, runtime) of a Node app image. */
export function renderDockerfile(image: NodeAppImage): string {
  const { uid, gid } = imageUser;
  const port = image.opsPort;
  const probe = JSON.stringify(healthcheckCommand(port)).replaceAll('","', '", "');
  return [
    ...header(image),
    `ARG NODE_IMAGE=${dockerNodeImage}`,
    "",
    `FROM ${nodeImageArg} AS build`,
    "WORKDIR /src",
    "COPY . .",
    "RUN npm ci --ignore-scripts --no-audit --no-fund \\",
    ...bundleStep(image),
    "",
    `FROM ${nodeImageArg} AS deps`,
    "WORKDIR /src",
    "COPY . .",
    `RUN npm ci --omit=dev --workspace ${image.workspace} --no-audit --no-fund \\`,
    " && rm -rf node_modules/@hyperhash node_modules/.cache",
    "",
    `FROM ${nodeImageArg}`,
    envLine(nodeEnv),
    envLine(image.env),
    "WORKDIR /app",
    "COPY --from=deps /src/node_modules ./node_modules",
    "COPY --from=build /out/ ./",
    ...(image.addons ?? []).map((a) => `COPY ${a} ./`),
    `# The node image's "node" user is uid 1000; the chart runs every pod as ${uid} (any non-root uid`,
    "# works: the image writes nothing outside mounted volumes and /tmp).",
    `USER ${uid}:${gid}`,
    `EXPOSE ${port}`,
    "HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \\",
    `  CMD ${probe}`,
    `ENTRYPOINT ${JSON.stringify(nodeAppEntrypoint).replaceAll('","', '", "')}`,
    "",
  ].join("\n");
}
