import type { MrzDate } from "./mrz";
import type { Rng } from "./rng";

/**
 * A made-up holder and document. The issuer is ICAO's specimen state Utopia (UTO, the
 * code Doc 9303 itself uses), so no specimen imitates a real state's document. Every
 * portrait in the pinned sample photos is of a woman, hence sex F.
 */
export interface Identity {
  issuingState: string;
  issuerName: string;
  nationality: string;
  surname: string;
  givenNames: string;
  sex: "F";
  birthDate: MrzDate;
  birthPlace: string;
  issueDate: MrzDate;
  expiryDate: MrzDate;
  documentNumber: string;
  personalNumber: string;
  authority: string;
}

const SURNAMES = [
  "Eriksson", "Garcia", "Nguyen", "Okafor", "Müller", "Rossi", "Silva", "Kowalska", "Tanaka", "Patel",
  "Hassan", "Johansson", "Martínez", "Kim", "Dubois", "Olsen", "Novak", "Petrova", "Santos", "Weber",
  "López", "Chen", "Mendes", "Rivera", "Holm", "Ivanova", "Kapoor", "Okonkwo", "Larsen", "Moreno",
  "Baker", "Schmidt", "Fischer", "Mori", "Alves", "Herrera", "Diallo", "Sato", "Brandt", "Costa",
  "García López", "van der Berg", "de Sousa", "Al-Rashid", "O'Neill", "Nakamura-Reyes",
];
const GIVEN_NAMES = [
  "Anna", "Maria", "Sofia", "Leila", "Amara", "Yuki", "Mei", "Priya", "Fatima", "Elena",
  "Camila", "Zoe", "Nadia", "Inès", "Chloé", "Aisha", "Hanna", "Lucía", "Maya", "Sara",
  "Olivia", "Emma", "Isabel", "Valentina", "Noor", "Keiko", "Lin", "Daniela", "Gabriela", "Rosa",
  "Tamara", "Alice", "Clara", "Eva", "Iris", "Julia", "Laura", "Marta", "Nina", "Paula",
];
const PLACES = ["Utopia City", "Port Meridian", "New Arcadia", "Lakeside", "Eastbrook", "Solenne", "Marisport", "Highvale", "Kestrel Bay", "Northgate"];
const AUTHORITIES = ["Ministry of Interior", "Passport Office", "Civil Registry", "Department of Identity", "Consulate General"];

/** The issuer's name as printed on the document, with its common variants. */
const ISSUER_NAMES = ["Republic of Utopia", "Utopia", "United Provinces of Utopia", "Commonwealth of Utopia"];

const DIGITS = "0123456789";
const LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM = LETTERS + DIGITS;

function randomString(rng: Rng, alphabet: string, length: number): string {
  let s = "";
  for (let i = 0; i < length; i++) s += alphabet[Math.floor(rng.next() * alphabet.length)];
  return s;
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function randomDate(rng: Rng, fromYear: number, toYear: number): MrzDate {
  const year = rng.int(fromYear, toYear);
  const month = rng.int(1, 12);
  return { year, month, day: rng.int(1, daysInMonth(year, month)) };
}

/** `years` later, the day before (how most issuers set validity), clamped to the month. */
function addYears(date: MrzDate, years: number): MrzDate {
  const d = new Date(Date.UTC(date.year + years, date.month - 1, Math.min(date.day, daysInMonth(date.year + years, date.month))));
  d.setUTCDate(d.getUTCDate() - 1);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

export function randomIdentity(rng: Rng, kind: "id1" | "passport"): Identity {
  const givenNames = rng.chance(0.3) ? `${rng.pick(GIVEN_NAMES)} ${rng.pick(GIVEN_NAMES)}` : rng.pick(GIVEN_NAMES);
  const birthDate = randomDate(rng, 1958, 2005);
  const issueDate = randomDate(rng, 2017, 2025);
  // Document numbers: a letter or two then digits, or alphanumeric like L898902C3 (Doc 9303).
  const documentNumber = rng.weighted([
    [() => randomString(rng, LETTERS, 1) + randomString(rng, DIGITS, 8), 2],
    [() => randomString(rng, LETTERS, 2) + randomString(rng, DIGITS, 7), 2],
    [() => randomString(rng, LETTERS, 1) + randomString(rng, ALNUM, 8), 1],
  ] as const)();
  return {
    issuingState: "UTO",
    issuerName: rng.pick(ISSUER_NAMES),
    nationality: "UTO",
    surname: rng.pick(SURNAMES),
    givenNames,
    sex: "F",
    birthDate,
    birthPlace: rng.pick(PLACES),
    issueDate,
    expiryDate: addYears(issueDate, kind === "passport" ? 10 : rng.pick([5, 10])),
    documentNumber,
    personalNumber: rng.chance(0.6) ? randomString(rng, DIGITS, rng.int(8, 11)) : "",
    authority: rng.pick(AUTHORITIES),
  };
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

/** A date as printed in the visual zone: 12 AUG 1974, 12.08.1974 or 12/08/1974. */
export function printedDate(date: MrzDate, style: "month" | "dots" | "slashes"): string {
  const dd = String(date.day).padStart(2, "0");
  const mm = String(date.month).padStart(2, "0");
  if (style === "month") return `${dd} ${MONTHS[date.month - 1]} ${date.year}`;
  return style === "dots" ? `${dd}.${mm}.${date.year}` : `${dd}/${mm}/${date.year}`;
}
