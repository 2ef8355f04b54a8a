/**
 * Machine readable zones after ICAO Doc 9303 (8th edition): part 3 for the character set and
 * check digits, part 4 for TD3 (passport data page, 2 lines of 44), part 5 for TD1 (ID-1
 * card, 3 lines of 30).
 */

export interface MrzDate {
  year: number;
  /** 1-12 */
  month: number;
  /** 1-31 */
  day: number;
}

export interface MrzData {
  /** Document code: "P" for passports, "I" (or "ID", "AC"...) for cards. */
  documentCode: string;
  /** Three-letter code of the issuing state or organisation (ICAO's specimen state is UTO). */
  issuingState: string;
  surname: string;
  givenNames: string;
  /** Nine characters in both formats here (longer numbers need the TD1 overflow rule). */
  documentNumber: string;
  nationality: string;
  birthDate: MrzDate;
  sex: "F" | "M" | "<";
  expiryDate: MrzDate;
  /** TD3 personal number (14) or TD1 first optional data (15); empty for none. */
  optionalData?: string;
  /** TD1 second optional data (11). */
  optionalData2?: string;
}

/** Check digit (Doc 9303 part 3, 4.9): weights 7, 3, 1 repeating; A-Z count 10-35, `<` 0. */
export function mrzCheckDigit(value: string): number {
  const weights = [7, 3, 1];
  let sum = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    let v: number;
    if (ch >= "0" && ch <= "9") v = ch.charCodeAt(0) - 48;
    else if (ch >= "A" && ch <= "Z") v = ch.charCodeAt(0) - 55;
    else if (ch === "<") v = 0;
    else throw new Error(`'${ch}' is not an MRZ character`);
    sum += v * weights[i % 3];
  }
  return sum % 10;
}

/**
 * Upper case, Latin letters and digits only, every other character (space, hyphen,
 * apostrophe) a filler `<`, padded with fillers or cut to `length` (part 3, 4.6).
 */
export function mrzField(value: string, length: number): string {
  const cleaned = value
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toUpperCase()
    .replace(/[^A-Z0-9<]/g, "<");
  return cleaned.slice(0, length).padEnd(length, "<");
}

/** SURNAME<<GIVEN<NAMES in `length` characters, truncated from the end (part 3, 4.6.4). */
export function mrzName(surname: string, givenNames: string, length: number): string {
  const primary = mrzField(surname.trim(), surname.trim().length);
  const secondary = mrzField(givenNames.trim(), givenNames.trim().length);
  return mrzField(secondary ? `${primary}<<${secondary}` : primary, length);
}

/** YYMMDD. */
export function mrzDate(date: MrzDate): string {
  const two = (n: number) => String(n % 100).padStart(2, "0");
  return `${two(date.year)}${two(date.month)}${two(date.day)}`;
}

const digit = (value: string) => String(mrzCheckDigit(value));

/** The three 30-character lines of an ID-1 card (Doc 9303 part 5, 4.2.2). */
export function td1Mrz(data: MrzData): [string, string, string] {
  const number = mrzField(data.documentNumber, 9);
  const line1 = mrzField(data.documentCode, 2) + mrzField(data.issuingState, 3) + number + digit(number) + mrzField(data.optionalData ?? "", 15);
  const birth = mrzDate(data.birthDate);
  const expiry = mrzDate(data.expiryDate);
  const upper2 = birth + digit(birth) + data.sex + expiry + digit(expiry) + mrzField(data.nationality, 3) + mrzField(data.optionalData2 ?? "", 11);
  // Composite: line 1 from the document number on, and line 2 without the sex and nationality.
  const composite = line1.slice(5, 30) + upper2.slice(0, 7) + upper2.slice(8, 15) + upper2.slice(18, 29);
  const line2 = upper2 + digit(composite);
  return [line1, line2, mrzName(data.surname, data.givenNames, 30)];
}

/** The two 44-character lines of a passport data page (Doc 9303 part 4, 4.2.2). */
export function td3Mrz(data: MrzData): [string, string] {
  const line1 = mrzField(data.documentCode, 2) + mrzField(data.issuingState, 3) + mrzName(data.surname, data.givenNames, 39);
  const number = mrzField(data.documentNumber, 9);
  const birth = mrzDate(data.birthDate);
  const expiry = mrzDate(data.expiryDate);
  const personal = mrzField(data.optionalData ?? "", 14);
  // An all-filler personal number may carry `<` or 0 as its check digit; 0 keeps it numeric.
  const upper = number + digit(number) + mrzField(data.nationality, 3) + birth + digit(birth) + data.sex + expiry + digit(expiry) + personal + digit(personal);
  const composite = upper.slice(0, 10) + upper.slice(13, 20) + upper.slice(21, 43);
  return [line1, upper + digit(composite)];
}

/**
 * Every check digit of a TD1 or TD3 zone, true when all hold; for tests and for anyone
 * reading labels back.
 */
export function mrzChecksHold(lines: readonly string[]): boolean {
  const ok = (field: string, check: string) => check === String(mrzCheckDigit(field));
  if (lines.length === 3 && lines.every((l) => l.length === 30)) {
    const [l1, l2] = lines;
    const composite = l1.slice(5, 30) + l2.slice(0, 7) + l2.slice(8, 15) + l2.slice(18, 29);
    return ok(l1.slice(5, 14), l1[14]) && ok(l2.slice(0, 6), l2[6]) && ok(l2.slice(8, 14), l2[14]) && ok(composite, l2[29]);
  }
  if (lines.length === 2 && lines.every((l) => l.length === 44)) {
    const l2 = lines[1];
    const composite = l2.slice(0, 10) + l2.slice(13, 20) + l2.slice(21, 43);
    return ok(l2.slice(0, 9), l2[9]) && ok(l2.slice(13, 19), l2[19]) && ok(l2.slice(21, 27), l2[27]) && ok(l2.slice(28, 42), l2[42]) && ok(composite, l2[43]);
  }
  return false;
}
