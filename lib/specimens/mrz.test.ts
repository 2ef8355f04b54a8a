import { describe, expect, it } from "vitest";
import { mrzCheckDigit, mrzChecksHold, mrzName, td1Mrz, td3Mrz } from "./mrz";
import type { MrzData } from "./mrz";

/** Anna Maria Eriksson, ICAO Doc 9303's specimen holder (parts 4 and 5). */
const eriksson: Omit<MrzData, "documentCode" | "documentNumber"> = {
  issuingState: "UTO",
  surname: "Eriksson",
  givenNames: "Anna Maria",
  nationality: "UTO",
  birthDate: { year: 1974, month: 8, day: 12 },
  sex: "F",
  expiryDate: { year: 2012, month: 4, day: 15 },
};

describe("ICAO 9303 check digits", () => {
  it("gives the specimen passport number L898902C3 the check digit 6", () => {
    expect(mrzCheckDigit("L898902C3")).toBe(6);
  });

  it("weights 7-3-1, letters from 10, fillers 0", () => {
    expect(mrzCheckDigit("740812")).toBe(2);
    expect(mrzCheckDigit("120415")).toBe(9);
    expect(mrzCheckDigit("D23145890")).toBe(7);
    expect(mrzCheckDigit("ZE184226B<<<<<")).toBe(1);
    expect(mrzCheckDigit("<<<<<<<<<")).toBe(0);
    expect(() => mrzCheckDigit("ab")).toThrow();
  });
});

describe("machine readable zones", () => {
  it("builds the TD3 specimen of Doc 9303 part 4 character for character", () => {
    const lines = td3Mrz({ ...eriksson, documentCode: "P", documentNumber: "L898902C3", optionalData: "ZE184226B" });
    expect(lines).toEqual(["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]);
    expect(mrzChecksHold(lines)).toBe(true);
  });

  it("builds the TD1 specimen of Doc 9303 part 5 character for character", () => {
    const lines = td1Mrz({ ...eriksson, documentCode: "I", documentNumber: "D23145890" });
    expect(lines).toEqual(["I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"]);
    expect(mrzChecksHold(lines)).toBe(true);
  });

  it("notices a changed character", () => {
    const [l1, l2] = td3Mrz({ ...eriksson, documentCode: "P", documentNumber: "L898902C3" });
    expect(mrzChecksHold([l1, l2.replace("740812", "740813")])).toBe(false);
  });

  it("transliterates and truncates names to the field", () => {
    expect(mrzName("García López", "José-María", 30)).toBe("GARCIA<LOPEZ<<JOSE<MARIA<<<<<<");
    expect(mrzName("Van der Berg-Oppenheimer", "Alexandra Konstantina", 30)).toHaveLength(30);
  });
});
