import type { z } from "zod";
import * as r from "@/lib/openapi/responses";

/**
 * The native operations as the client calls them: method, path template and the response
 * schema per success status. Written from the registry (lib/openapi/native.ts), which the
 * client cannot import (it holds the routes' request parsers, which are server code);
 * lib/client/client.test.ts fails when the two disagree.
 */
export const clientOperations = {
  createVerification: { method: "POST", path: "/api/v1/verifications", responses: { 200: r.verificationSchema, 201: r.verificationSchema } },
  listVerifications: { method: "GET", path: "/api/v1/verifications", responses: { 200: r.verificationListSchema } },
  getVerification: { method: "GET", path: "/api/v1/verifications/{id}", responses: { 200: r.verificationSchema } },
  getFaceReport: { method: "GET", path: "/api/v1/verifications/{id}/face-report", responses: { 200: r.faceReportSchema } },
  detectFaces: { method: "POST", path: "/api/v1/faces/detect", responses: { 200: r.detectFacesResponseSchema } },
  compareFaces: { method: "POST", path: "/api/v1/faces/compare", responses: { 200: r.compareFacesResponseSchema } },
  checkFaceLiveness: { method: "POST", path: "/api/v1/faces/liveness", responses: { 200: r.faceLivenessResponseSchema } },
  listCollections: { method: "GET", path: "/api/v1/collections", responses: { 200: r.collectionListSchema } },
  createCollection: { method: "POST", path: "/api/v1/collections", responses: { 201: r.collectionSchema } },
  getCollection: { method: "GET", path: "/api/v1/collections/{id}", responses: { 200: r.collectionSchema } },
  updateCollection: { method: "PATCH", path: "/api/v1/collections/{id}", responses: { 200: r.collectionSchema } },
  deleteCollection: { method: "DELETE", path: "/api/v1/collections/{id}", responses: { 204: null } },
  listPersons: { method: "GET", path: "/api/v1/persons", responses: { 200: r.personListSchema } },
  createPerson: { method: "POST", path: "/api/v1/persons", responses: { 201: r.personSchema } },
  getPerson: { method: "GET", path: "/api/v1/persons/{id}", responses: { 200: r.personSchema } },
  updatePerson: { method: "PATCH", path: "/api/v1/persons/{id}", responses: { 200: r.personSchema } },
  deletePerson: { method: "DELETE", path: "/api/v1/persons/{id}", responses: { 204: null } },
  addFaces: { method: "POST", path: "/api/v1/persons/{id}/faces", responses: { 201: r.personSchema } },
  deleteFace: { method: "DELETE", path: "/api/v1/persons/{id}/faces/{faceId}", responses: { 204: null } },
  verifyPerson: { method: "POST", path: "/api/v1/persons/{id}/verify", responses: { 200: r.verifyPersonResponseSchema } },
  searchFaces: { method: "POST", path: "/api/v1/search", responses: { 200: r.searchResponseSchema } },
  getImage: { method: "GET", path: "/api/v1/images/{id}", responses: { 200: null } },
} as const satisfies Record<string, { method: string; path: string; responses: Record<number, z.ZodType | null> }>;

export type ClientOperationId = keyof typeof clientOperations;
