/**
 * 云南式省级示例 — an EXAMPLE of a province variant, to show how a province builds on the national
 * baseline. It is not an official policy of Yunnan or of any region: the amounts above the baseline are
 * illustrative and must be replaced by the province's own document before use.
 *
 * What it shows, each grounded in a practice the policy documents describe (docs/domain.md §9):
 * - 非寄宿生生活补助: 双江 2020 brings "四类人员" (建档立卡户子女、低保户子女、残疾儿童少年 …) into the living
 *   allowance whether they board or not; here day pupils of families in difficulty get half the boarding
 *   amount (小学 500 元/年, 初中 625 元/年).
 * - a higher boarding allowance for 特困供养 / 孤儿 / 事实无人抚养 children (小学 1500 元/年, 初中 1750 元/年):
 *   a child in two categories is paid once, at the higher amount (whenSeveralGroupsMatch: HIGHEST).
 * - 交通补助 for disabled pupils: 临沧 2020 (临政办发〔2020〕14号) asks for "残疾学生特殊学习用品、教育训练、
 *   交通费等补助政策", 安泽 2023 for 交通费; 200 元 a semester here.
 */
import { type Benefit, definePolicy, type PolicyInput } from '../policy';
import { nationalBaseline } from './national-baseline';

const CARE: ('TEKUN' | 'ORPHAN' | 'UNSUPPORTED')[] = ['TEKUN', 'ORPHAN', 'UNSUPPORTED'];

const baseline = (code: string): Benefit => {
  const benefit = nationalBaseline.benefits.find((b) => b.code === code);
  if (!benefit) throw new Error(`national baseline has no ${code}`);
  return benefit;
};
const boarding = baseline('BOARDING_LIVING_ALLOWANCE');

const example: PolicyInput = {
  id: 'yunnan-example',
  version: '2025.1',
  region: '530000',
  name: {
    zh: '省级示例政策（云南式，非官方）：非寄宿生生活补助、特困孤儿提标、残疾学生交通补助',
    en: 'Example province variant (Yunnan-style, not official)',
  },
  example: true,
  effectiveFrom: '2025-09-01',
  sources: [
    '示例，非官方文件 — EXAMPLE ONLY, not an official policy; amounts above the national baseline are illustrative',
    ...nationalBaseline.sources,
    '双江自治县教育体育局 双教体发〔2020〕135号：将“四类人员”全面纳入生活补助范围',
    '临沧市人民政府办公室 临政办发〔2020〕14号：建立完善残疾学生特殊学习用品、教育训练、交通费等补助政策',
  ],
  hardshipCategories: nationalBaseline.hardshipCategories,
  benefits: [
    baseline('TUITION_WAIVER'),
    baseline('FREE_TEXTBOOKS'),
    {
      ...boarding,
      groups: [
        ...boarding.groups,
        {
          id: 'primary-boarder-care',
          name: {
            zh: '特困、孤儿、事实无人抚养的小学寄宿生（示例提标）',
            en: 'primary boarder in care categories',
          },
          when: { all: [{ stage: 'PRIMARY' }, { boarding: true }, { anyCategory: CARE }] },
          amountFen: 75_000,
        },
        {
          id: 'junior-boarder-care',
          name: {
            zh: '特困、孤儿、事实无人抚养的初中寄宿生（示例提标）',
            en: 'junior boarder in care categories',
          },
          when: { all: [{ stage: 'JUNIOR' }, { boarding: true }, { anyCategory: CARE }] },
          amountFen: 87_500,
        },
      ],
    },
    {
      code: 'NON_BOARDING_LIVING_ALLOWANCE',
      name: { zh: '非寄宿生生活补助', en: 'living allowance for day pupils' },
      payment: 'CASH',
      whenSeveralGroupsMatch: 'HIGHEST',
      basis: '示例：寄宿生标准的一半，小学 500 元/年、初中 625 元/年',
      groups: [
        {
          id: 'primary-day-pupil',
          name: { zh: '家庭经济困难的小学走读生', en: 'primary day pupil from a family in difficulty' },
          when: { all: [{ stage: 'PRIMARY' }, { boarding: false }, { hardship: true }] },
          amountFen: 25_000,
        },
        {
          id: 'junior-day-pupil',
          name: { zh: '家庭经济困难的初中走读生', en: 'junior day pupil from a family in difficulty' },
          when: { all: [{ stage: 'JUNIOR' }, { boarding: false }, { hardship: true }] },
          amountFen: 31_250,
        },
      ],
    },
    baseline('NUTRITION_MEAL'),
    baseline('DISABILITY_SUPPORT'),
    {
      code: 'TRANSPORT',
      name: { zh: '残疾学生交通补助', en: 'transport subsidy for disabled pupils' },
      payment: 'CASH',
      basis: '示例：每学期 200 元（临政办发〔2020〕14号要求建立交通费补助政策）',
      groups: [
        {
          id: 'disabled-pupil',
          name: { zh: '残联登记的残疾学生', en: 'pupil on the disability register' },
          when: { category: 'DISABILITY' },
          amountFen: 20_000,
        },
      ],
    },
  ],
};

export const yunnanExample = definePolicy(example);
