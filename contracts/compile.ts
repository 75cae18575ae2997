import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import solc from 'solc';

export const contractsDir = fileURLToPath(new URL('.', import.meta.url));
export const sourcesDir = join(contractsDir, 'src');
export const generatedDir = fileURLToPath(new URL('../packages/chain/src/generated/', import.meta.url));

/** Pinned so the committed artifacts are reproducible; anvil runs this fork or a later one. */
export const EVM_VERSION = 'cancun';

type AbiItem = Record<string, unknown>;

export type CompiledContract = {
  name: string;
  source: string;
  abi: AbiItem[];
  bytecode: `0x${string}`;
};

type SolcOutput = {
  errors?: {
    severity: 'error' | 'warning' | 'info';
    errorCode?: string;
    formattedMessage: string;
    sourceLocation?: { file: string };
  }[];
  contracts?: Record<string, Record<string, { abi: AbiItem[]; evm: { bytecode: { object: string } } }>>;
};

export class CompileError extends Error {
  constructor(readonly problems: string[]) {
    super(`solc failed:\n${problems.join('\n')}`);
    this.name = 'CompileError';
  }
}

/** Every `.sol` file under contracts/src (test-only contracts live in src/test), as `src/…` source names. */
function sourceFiles(): string[] {
  return readdirSync(sourcesDir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.sol'))
    .map((file) => `src/${file.split(sep).join('/')}`)
    .sort();
}

const requireFromContracts = createRequire(join(contractsDir, 'package.json'));

/**
 * solc's import callback: `@openzeppelin/contracts/…` (and any other package import) is read from
 * node_modules as Node resolves it from this workspace, so the installed version is the one compiled.
 */
function findImport(path: string): { contents: string } | { error: string } {
  if (path.startsWith('src/')) return { error: `${path} is not a file under contracts/src` };
  try {
    return { contents: readFileSync(requireFromContracts.resolve(path), 'utf8') };
  } catch (error) {
    return { error: `cannot resolve import ${path}: ${error instanceof Error ? error.message : error}` };
  }
}

/** solc's warning that the code uses EIP-1153 transient storage. */
const TRANSIENT_STORAGE_WARNING = '2394';

/**
 * The one warning accepted: transient storage inside a dependency, i.e. OpenZeppelin's
 * ReentrancyGuardTransient, whose slot is cleared before every call returns (the use solc itself
 * calls safe). Any warning in our own sources still fails the build.
 */
function isAcceptedDependencyWarning(error: NonNullable<SolcOutput['errors']>[number]): boolean {
  return (
    error.severity === 'warning' &&
    error.errorCode === TRANSIENT_STORAGE_WARNING &&
    error.sourceLocation !== undefined &&
    !error.sourceLocation.file.startsWith('src/')
  );
}

/**
 * Compiles every .sol file under contracts/src in one standard-JSON run. Warnings fail the build too.
 * Imported library contracts are compiled as dependencies only: artifacts are made for our sources.
 */
export function compileContracts(): CompiledContract[] {
  const files = sourceFiles();
  const sources = Object.fromEntries(
    files.map((file) => [file, { content: readFileSync(join(contractsDir, file), 'utf8') }]),
  );
  const input = {
    language: 'Solidity',
    sources,
    settings: {
      evmVersion: EVM_VERSION,
      optimizer: { enabled: true, runs: 200 },
      outputSelection: Object.fromEntries(
        files.map((file) => [file, { '*': ['abi', 'evm.bytecode.object'] }]),
      ),
    },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as SolcOutput;
  const problems = (output.errors ?? [])
    .filter((error) => error.severity !== 'info' && !isAcceptedDependencyWarning(error))
    .map((error) => error.formattedMessage.trim());
  if (problems.length > 0) throw new CompileError(problems);

  const compiled: CompiledContract[] = [];
  const seen = new Map<string, string>();
  for (const [source, contracts] of Object.entries(output.contracts ?? {})) {
    if (!files.includes(source)) continue;
    for (const [name, contract] of Object.entries(contracts)) {
      const other = seen.get(name);
      if (other) throw new CompileError([`contract ${name} is defined in both ${other} and ${source}`]);
      seen.set(name, source);
      compiled.push({ name, source, abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` });
    }
  }
  return compiled.sort((a, b) => a.name.localeCompare(b.name));
}

/** `TestSmartWallet` → `testSmartWallet`, `ERC20Splitter` → `erc20Splitter`, `PPVSplitter` → `ppvSplitter`. */
export function identifierFor(contractName: string): string {
  return contractName.replace(/^[A-Z]+(?=[A-Z][a-z]|\d|$)|^[A-Z]/, (head) => head.toLowerCase());
}

/** The files to write under packages/chain/src/generated, keyed by file name. */
export function renderArtifacts(contracts: CompiledContract[]): Map<string, string> {
  const header = (source: string) =>
    `// Generated by contracts/build.ts from contracts/${source} with solc ${solc.version()}. Do not edit.\n`;
  const files = new Map<string, string>();
  for (const contract of contracts) {
    const id = identifierFor(contract.name);
    let text = header(contract.source);
    text += `\nexport const ${id}Abi = ${JSON.stringify(contract.abi, null, 2)} as const;\n`;
    // Interfaces and abstract contracts have no bytecode: only their ABI is useful.
    if (contract.bytecode !== '0x') {
      text += `\nexport const ${id}Bytecode = '${contract.bytecode}' as const;\n`;
    }
    files.set(`${contract.name}.ts`, text);
  }
  const index = contracts.map((contract) => `export * from './${contract.name}';\n`).join('');
  files.set('index.ts', `// Generated by contracts/build.ts. Do not edit.\n\n${index}`);
  return files;
}
