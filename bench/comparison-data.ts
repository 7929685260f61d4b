/**
 * A generated county-scale data set for the comparison benchmark: N children of compulsory age
 * with household, enrollment, headcount and poverty CSVs (UTF-8), and a realistic ~6% of
 * inconsistencies: not enrolled (2%), enrolled but absent (2%), present but not enrolled (0.5%),
 * name differing between 户籍 and 学籍 (0.5%), enrolled at two schools (0.3%), migrants (1%).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import path from 'node:path';
import { checkDigit } from '../shared/id-number';

const SURNAMES =
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢';
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂华玉萍红娥玲芬燕彬鹏辉旭宇浩然涵萱诺怡桐';

function writer(file: string) {
  const out = createWriteStream(file);
  let buf = '';
  return {
    async line(cells: string[]) {
      buf += `${cells.join(',')}\n`;
      if (buf.length > 1 << 20) await flush(out, buf).then(() => (buf = ''));
    },
    async close() {
      await flush(out, buf);
      await new Promise<void>((r) => out.end(r));
    },
  };
}
const flush = (out: WriteStream, text: string) =>
  new Promise<void>((resolve) => (out.write(text) ? resolve() : out.once('drain', resolve)));

export interface ComparisonDataSet {
  dir: string;
  household: string;
  enrollment: string;
  headcount: string;
  poverty: string;
}

export async function writeComparisonDataSet(dir: string, children: number): Promise<ComparisonDataSet> {
  const files = {
    household: path.join(dir, 'household.csv'),
    enrollment: path.join(dir, 'enrollment.csv'),
    headcount: path.join(dir, 'headcount.csv'),
    poverty: path.join(dir, 'poverty.csv'),
  };
  const hh = writer(files.household);
  const xj = writer(files.enrollment);
  const zx = writer(files.headcount);
  const pk = writer(files.poverty);
  await hh.line(['身份证号', '姓名']);
  await xj.line(['身份证件号', '学生姓名', '学校标识码', '年级', '就读方式']);
  await zx.line(['身份证号', '姓名', '学校标识码', '到校情况']);
  await pk.line(['身份证号', '姓名', '监测类型']);
  for (let i = 0; i < children; i++) {
    // Born 2011–2018: 7 to 14 on a 2025-09-08 check, all inside the 6–15 window.
    const year = 2011 + (i % 8);
    const month = String(1 + ((i >> 3) % 12)).padStart(2, '0');
    const day = String(1 + ((i >> 7) % 28)).padStart(2, '0');
    const area = i % 100 < 1 ? '530381' : '530124'; // 1% registered in another county: migrants
    const seq = String(i % 1000).padStart(3, '0');
    const serial = Math.floor(i / 1000) % 100;
    const first17 = `${area.slice(0, 4)}${String(serial).padStart(2, '0')}${year}${month}${day}${seq}`;
    const id = first17 + checkDigit(first17);
    const name =
      SURNAMES[i % SURNAMES.length]! + GIVEN[(i * 7) % GIVEN.length]! + GIVEN[(i * 13) % GIVEN.length]!;
    const school = `2153${String(1 + (i % 400)).padStart(6, '0')}`;
    const r = (i * 2654435761) % 1000; // spread the inconsistencies
    const migrant = area !== '530124';
    if (!migrant && r >= 5) await hh.line([id, r < 10 ? `${name}儿` : name]); // 0.5%: name differs
    const enrolled = !(r >= 20 && r < 40) && !(r >= 60 && r < 65); // 2% not enrolled, 0.5% present unenrolled
    if (enrolled) await xj.line([id, name, school, `${1 + (i % 9)}年级`, i % 4 ? '走读' : '住校']);
    if (enrolled && r >= 70 && r < 73)
      await xj.line([id, name, `2153${String(401 + (i % 50)).padStart(6, '0')}`, '三年级', '走读']);
    const present = !(r >= 20 && r < 40) && !(r >= 40 && r < 60); // 2% absent
    if (present || (r >= 40 && r < 60)) await zx.line([id, name, school, present ? '已到' : '未到']);
    if (i % 10 === 0) await pk.line([id, name, '脱贫户']);
  }
  await Promise.all([hh.close(), xj.close(), zx.close(), pk.close()]);
  return { dir, ...files };
}

/**
 * The same classification in SQL, for DuckDB: age window, join on the ID, outcomes with the
 * engine's precedence. Returns the count per outcome.
 */
export function duckdbClassificationSql(
  data: ComparisonDataSet,
  asOf: string,
  cutoff: string,
  minAge: number,
  maxAge: number,
): string {
  const csv = (file: string) => `read_csv('${file}', header = true, all_varchar = true)`;
  return `
WITH hh AS (SELECT "身份证号" AS id, replace("姓名", ' ', '') AS name FROM ${csv(data.household)}),
pv AS (SELECT DISTINCT "身份证号" AS id FROM ${csv(data.poverty)}),
xj AS (SELECT "身份证件号" AS id, replace("学生姓名", ' ', '') AS name, "学校标识码" AS school FROM ${csv(data.enrollment)}),
zx AS (SELECT "身份证号" AS id, replace("姓名", ' ', '') AS name, "到校情况" AS status FROM ${csv(data.headcount)}),
ids AS (SELECT id FROM hh UNION SELECT id FROM xj UNION SELECT id FROM zx UNION SELECT id FROM pv),
born AS (SELECT id, make_date(substr(id, 7, 4)::INT, substr(id, 11, 2)::INT, substr(id, 13, 2)::INT) AS birth FROM ids),
win AS (
  SELECT id FROM born
  WHERE date_diff('year', birth, DATE '${cutoff}') - (strftime(birth, '%m%d') > strftime(DATE '${cutoff}', '%m%d'))::INT >= ${minAge}
    AND date_diff('year', birth, DATE '${asOf}') - (strftime(birth, '%m%d') > strftime(DATE '${asOf}', '%m%d'))::INT <= ${maxAge}
),
names AS (SELECT id, count(DISTINCT name) AS n FROM (SELECT id, name FROM hh UNION ALL SELECT id, name FROM xj UNION ALL SELECT id, name FROM zx) GROUP BY id),
enr AS (SELECT id, count(DISTINCT school) AS schools FROM xj GROUP BY id),
pres AS (SELECT id, bool_or(status IN ('已到', '在校', '到校', '是')) AS present, bool_or(status IN ('未到', '未到校', '否')) AS absent FROM zx GROUP BY id),
res AS (SELECT id FROM hh UNION SELECT id FROM pv)
SELECT outcome, count(*) AS n FROM (
  SELECT CASE
    WHEN names.n > 1 THEN 'IDENTITY_MISMATCH'
    WHEN enr.schools > 1 THEN 'DUPLICATE_ENROLLMENT'
    WHEN enr.id IS NOT NULL AND coalesce(pres.absent, false) AND NOT coalesce(pres.present, false) THEN 'ENROLLED_ABSENT'
    WHEN enr.id IS NULL AND coalesce(pres.present, false) THEN 'PRESENT_UNENROLLED'
    WHEN enr.id IS NULL THEN 'NOT_ENROLLED'
    ELSE 'CONSISTENT' END AS outcome
  FROM win
  LEFT JOIN names USING (id) LEFT JOIN enr USING (id) LEFT JOIN pres USING (id) LEFT JOIN res USING (id)
) GROUP BY outcome ORDER BY outcome`;
}
