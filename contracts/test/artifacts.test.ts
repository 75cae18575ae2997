import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileContracts, generatedDir, identifierFor, renderArtifacts } from '../compile';

describe('generated artifacts', () => {
  it('are byte-identical to a fresh compile of contracts/src (run `npm run build -w @ppv/contracts`)', () => {
    const expected = renderArtifacts(compileContracts());
    expect(readdirSync(generatedDir).sort()).toEqual([...expected.keys()].sort());
    for (const [name, text] of expected) {
      expect(readFileSync(join(generatedDir, name), 'utf8'), name).toBe(text);
    }
  }, 60_000);

  it('name exports after the contract in lower camel case', () => {
    expect(identifierFor('TestSmartWallet')).toBe('testSmartWallet');
    expect(identifierFor('ERC20Splitter')).toBe('erc20Splitter');
    expect(identifierFor('PPVSplitter')).toBe('ppvSplitter');
    expect(identifierFor('IERC1271')).toBe('ierc1271');
  });
});
