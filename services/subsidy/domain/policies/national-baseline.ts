/**
 * 国家基础标准 — the national baseline of compulsory-education aid, as a policy document. Provinces build
 * on it (docs/domain.md §5.1: provinces add to it, and some extend it to day pupils).
 *
 * Amounts per semester are half the yearly standard (two semesters a year), in 分.
 */
import { definePolicy, type PolicyCategory } from '../policy';

/**
 * 家庭经济困难学生 — who counts as a child of a family in economic difficulty (docs/domain.md §5.2): 建档立卡/脱贫户,
 * the three 监测 categories, 低保, 特困供养, 孤儿, 残疾. 事实无人抚养儿童 are included with 孤儿: 民政部等
 * 《关于进一步加强事实无人抚养儿童保障工作的意见》(2019) extends the 孤儿 education aid to them.
 * 留守儿童 is a care category, not an economic one, and is left out.
 */
export const BASELINE_HARDSHIP: PolicyCategory[] = [
  'LIFTED_OUT_OF_POVERTY',
  'UNSTABLE',
  'MARGINAL',
  'SUDDEN_HARDSHIP',
  'DIBAO',
  'TEKUN',
  'ORPHAN',
  'UNSUPPORTED',
  'DISABILITY',
];

export const nationalBaseline = definePolicy({
  id: 'national-baseline',
  version: '2021.1',
  region: 'CN',
  name: {
    zh: '义务教育学生资助国家基础标准（两免一补、营养改善计划、特殊教育）',
    en: 'National baseline of compulsory-education student aid',
  },
  // The latest change folded in is the meal subsidy of 5 元 a day from the 2021 autumn semester.
  effectiveFrom: '2021-09-01',
  sources: [
    '国务院《关于进一步完善城乡义务教育经费保障机制的通知》（国发〔2015〕67号）：城乡义务教育学生“两免一补”',
    '财政部 教育部《城乡义务教育补助经费管理办法》（2019）：家庭经济困难寄宿生生活补助 小学每生每年 1000 元、初中 1250 元',
    '教育部 财政部 关于提高农村义务教育学生营养改善计划膳食补助标准的通知（2021 年）：每生每天 5 元，2021 年秋季学期起；按每年在校 200 天计 1000 元',
    '教育部等《第二期特殊教育提升计划（2017—2020年）》：义务教育阶段特殊教育生均公用经费每生每年 6000 元',
  ],
  hardshipCategories: BASELINE_HARDSHIP,
  benefits: [
    {
      code: 'TUITION_WAIVER',
      name: { zh: '免学杂费', en: 'tuition and fee waiver' },
      payment: 'IN_KIND',
      basis: '国发〔2015〕67号：免除城乡义务教育学生学杂费',
      groups: [
        { id: 'all-pupils', name: { zh: '义务教育在籍学生', en: 'every enrolled pupil' }, amountFen: 0 },
      ],
    },
    {
      code: 'FREE_TEXTBOOKS',
      name: { zh: '免费教科书', en: 'free textbooks' },
      payment: 'IN_KIND',
      basis: '国发〔2015〕67号：向城乡义务教育学生免费提供国家规定课程教科书',
      groups: [
        { id: 'all-pupils', name: { zh: '义务教育在籍学生', en: 'every enrolled pupil' }, amountFen: 0 },
      ],
    },
    {
      code: 'BOARDING_LIVING_ALLOWANCE',
      name: { zh: '寄宿生生活补助', en: 'living allowance for boarders' },
      payment: 'CASH',
      whenSeveralGroupsMatch: 'HIGHEST',
      basis: '城乡义务教育补助经费管理办法（2019）：小学 1000 元/年、初中 1250 元/年，按学期发放',
      groups: [
        {
          id: 'primary-boarder',
          name: { zh: '家庭经济困难的小学寄宿生', en: 'primary boarder from a family in difficulty' },
          when: { all: [{ stage: 'PRIMARY' }, { boarding: true }, { hardship: true }] },
          amountFen: 50_000,
        },
        {
          id: 'junior-boarder',
          name: { zh: '家庭经济困难的初中寄宿生', en: 'junior boarder from a family in difficulty' },
          when: { all: [{ stage: 'JUNIOR' }, { boarding: true }, { hardship: true }] },
          amountFen: 62_500,
        },
      ],
    },
    {
      code: 'NUTRITION_MEAL',
      name: { zh: '农村义务教育学生营养改善计划膳食补助', en: 'rural nutrition improvement meal subsidy' },
      // The meal subsidy buys meals; it must not be handed out as cash, so it is funding for the school.
      payment: 'SCHOOL',
      basis: '每生每天 5 元 × 每学期 100 天 = 500 元（2021 年秋季学期起）',
      groups: [
        {
          id: 'rural-pupil',
          name: { zh: '农村学校小学、初中学生', en: 'primary and junior pupil at a rural school' },
          when: { rural: true },
          amountFen: 50_000,
        },
      ],
    },
    {
      code: 'DISABILITY_SUPPORT',
      name: { zh: '残疾学生特殊教育补助', en: 'special-education support for disabled pupils' },
      // 生均公用经费 is paid to the school that teaches the child (随班就读, 特教学校 or 送教上门).
      payment: 'SCHOOL',
      basis: '第二期特殊教育提升计划：特殊教育生均公用经费 6000 元/年，即每学期 3000 元',
      groups: [
        {
          id: 'disabled-pupil',
          name: { zh: '残联登记的残疾学生', en: 'pupil on the disability register' },
          when: { category: 'DISABILITY' },
          amountFen: 300_000,
        },
      ],
    },
  ],
});
