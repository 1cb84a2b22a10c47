import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EntenteError } from '../../src/core/errors.js';
import { checkBuild, compareBuilds, parseBuild } from '../../src/detect/builds.js';

interface Cu {
  cu: string;
  cu_build: string;
  march2021_su_build: string | null;
  status: string;
}
const table = JSON.parse(
  readFileSync(new URL('./fixtures/exchange-march2021-builds.json', import.meta.url), 'utf8'),
) as {
  products: { product: string; cumulative_updates: Cu[] }[];
};
const all = table.products.flatMap((p) => p.cumulative_updates.map((c) => ({ product: p.product, ...c })));

/** 15.2.792.10 → 15.02.0792.010, the zero-padded form Exchange also prints. */
const padded = (b: string): string => {
  const [a, m, c, r] = b.split('.');
  return `${a}.${m!.padStart(2, '0')}.${c!.padStart(4, '0')}.${r!.padStart(3, '0')}`;
};
const minusOne = (b: string): string => {
  const p = b.split('.').map(Number);
  p[3] = p[3]! - 1;
  return p.join('.');
};

describe('Exchange build check against exchange-march2021-builds.json', () => {
  it('covers every CU of the table (52 of them)', () => {
    expect(all.length).toBe(52);
  });

  for (const cu of all) {
    const fixedByCu = cu.status.startsWith('fixed');
    it(`${cu.product} ${cu.cu}: RTM build ${cu.cu_build} is ${fixedByCu ? 'patched' : 'vulnerable'}, plain and zero-padded`, () => {
      for (const form of [cu.cu_build, padded(cu.cu_build)]) {
        const v = checkBuild(form);
        expect(v.status).toBe(fixedByCu ? 'patched' : 'vulnerable');
        expect(v.product).toBe(cu.product);
        expect(v.cu).toBe(cu.cu);
        expect(v.build).toBe(cu.cu_build);
        if (!fixedByCu) expect(v.guidance.length).toBeGreaterThan(0);
      }
    });
    if (cu.march2021_su_build) {
      const su = cu.march2021_su_build;
      it(`${cu.product} ${cu.cu}: SU build ${su} is patched and ${minusOne(su)} is not`, () => {
        expect(checkBuild(su).status).toBe('patched');
        expect(checkBuild(padded(su)).status).toBe('patched');
        expect(checkBuild(minusOne(su)).status).toBe('vulnerable');
        expect(checkBuild(padded(minusOne(su))).status).toBe('vulnerable');
        expect(checkBuild(minusOne(su)).fixedBuild).toBe(su);
      });
    } else if (!fixedByCu) {
      it(`${cu.product} ${cu.cu}: no SU exists, so even a later revision stays vulnerable`, () => {
        const later = cu.cu_build.replace(/\.\d+$/, '.99');
        expect(checkBuild(later).status).toBe('vulnerable');
      });
    }
  }

  it('the example of the rules, 15.02.0792.010, equals 15.2.792.10 and is patched', () => {
    expect(compareBuilds(parseBuild('15.02.0792.010'), parseBuild('15.2.792.10'))).toBe(0);
    expect(checkBuild('15.02.0792.010').status).toBe('patched');
  });

  it('builds after 2019 CU9 and 2016 CU20 count as patched (as EOMT does)', () => {
    expect(checkBuild('15.2.922.7').status).toBe('patched');
    expect(checkBuild('15.1.2308.8').status).toBe('patched');
  });

  it('Exchange 2010 is flagged for CVE-2021-26857 only', () => {
    const v = checkBuild('14.3.513.0');
    expect(v.status).toBe('exchange-2010');
    expect(v.reason).toContain('CVE-2021-26857');
  });

  it('vulnerable verdicts carry the EOMT rewrite-rule guidance', () => {
    const text = checkBuild('15.1.2106.2').guidance.join('\n');
    expect(text).toContain('X-AnonResource-Backend');
    expect(text).toContain('X-BEResource');
    expect(text).toContain('KB5000871');
  });

  it('rejects text that is not a build number with INVALID', () => {
    expect(() => checkBuild('fifteen')).toThrow(EntenteError);
    expect(() => checkBuild('15.2')).toThrow(/not an Exchange build number/);
  });
});
