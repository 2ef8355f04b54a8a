import "server-only";
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from "@aws-sdk/client-s3";
import type { S3ClientConfig } from "@aws-sdk/client-s3";
import type { ImageStore } from "./image-store";
import { assertSafeKey, decryptImage, encryptImage, imageEncryptionKey, imageNotFound, isSafeKey } from "./image-store";

/** Settings of the S3 client; credentials default to the AWS SDK's provider chain. */
export interface S3ConnectionOptions {
  region: string;
  /** An S3-compatible server (MinIO, Ceph, R2, s3rver...); unset means AWS S3. */
  endpoint?: string;
  /** `http://host/bucket/key` instead of `http://bucket.host/key`, which most self-hosted servers need. */
  forcePathStyle?: boolean;
  /** Tests give fixed credentials; otherwise AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, an instance role... */
  credentials?: S3ClientConfig["credentials"];
  /** Milliseconds to open a connection (default 5 s). */
  connectionTimeoutMs?: number;
  /** Milliseconds for one request, sending to the end of the answer (default 30 s: a 15 MiB image on a slow link). */
  requestTimeoutMs?: number;
}

const CONNECTION_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 30_000;
/** The SDK's default: the first try and two retries, with jittered backoff, on 5xx, throttling and network errors. */
const MAX_ATTEMPTS = 3;

/** An S3 client with bounded time per request: a stalled connection fails the call instead of hanging it. */
export function createS3Client(options: S3ConnectionOptions): S3Client {
  return new S3Client({
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
    credentials: options.credentials,
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? CONNECTION_TIMEOUT_MS,
      requestTimeout: options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
    // Integrity is the GCM tag's job, checked on every read; the SDK's default extra checksums
    // (CRC32 headers since 3.729) are refused by several S3-compatible servers.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

export interface S3ImageStoreOptions {
  bucket: string;
  /** Folder inside the bucket, so one bucket can hold several deployments (default: the root). */
  prefix?: string;
  /** The 32-byte storage key; images are encrypted with a key derived from it before upload. */
  storageKey: Buffer;
  /** Keys per ListObjectsV2 page during recovery, and so per `isCommitted` call (S3's maximum, 1000). */
  listPageSize?: number;
  /**
   * Uncommitted staged objects younger than this are left to a later recovery (default 10
   * minutes). Instances sharing a bucket recover while others are writing: an object staged
   * a moment ago may belong to a transaction that has not committed yet.
   */
  stagingGraceMs?: number;
}

const LIST_PAGE_SIZE = 1000;
const STAGING_GRACE_MS = 10 * 60_000;
/** Requests in flight at once during recovery: enough to hide latency, few enough for one client's socket pool. */
const RECOVERY_CONCURRENCY = 8;

function isMissing(error: unknown): boolean {
  // GetObject answers NoSuchKey, HeadObject a bare 404 (NotFound); some servers differ in the name,
  // not the status. AWS answers 403 instead when the caller lacks s3:ListBucket, hence the README's list.
  return error instanceof S3ServiceException && (error.name === "NoSuchKey" || error.name === "NotFound" || error.$metadata.httpStatusCode === 404);
}

async function eachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  });
  await Promise.all(lanes);
}

/**
 * Encrypted objects in an S3 bucket: `<prefix>images/<key>` for published, `<prefix>staging/<key>`
 * for staged. The bytes are sealed before they leave the process (the same AES-256-GCM format
 * as the local store), so the bucket and its operator only ever see ciphertext.
 */
export class S3ImageStore implements ImageStore {
  private readonly key: Buffer;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly listPageSize: number;
  private readonly stagingGraceMs: number;

  constructor(
    private readonly client: S3Client,
    options: S3ImageStoreOptions,
  ) {
    this.key = imageEncryptionKey(options.storageKey);
    this.bucket = options.bucket;
    const prefix = (options.prefix ?? "").replace(/^\/+|\/+$/g, "");
    this.prefix = prefix ? `${prefix}/` : "";
    this.listPageSize = options.listPageSize ?? LIST_PAGE_SIZE;
    this.stagingGraceMs = options.stagingGraceMs ?? STAGING_GRACE_MS;
  }

  private published(key: string): string {
    assertSafeKey(key);
    return `${this.prefix}images/${key}`;
  }

  private staged(key: string): string {
    assertSafeKey(key);
    return `${this.prefix}staging/${key}`;
  }

  async stage(key: string, plain: Uint8Array): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: this.staged(key), Body: encryptImage(this.key, key, plain), ContentType: "application/octet-stream" }),
    );
  }

  /** Server-side copy into `images/`, then removal of the staged object; a key already published is left as it is. */
  async publish(key: string): Promise<void> {
    const source = this.staged(key);
    const target = this.published(key);
    try {
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: target, CopySource: encodeURI(`${this.bucket}/${source}`) }));
    } catch (error) {
      if (isMissing(error) && (await this.exists(target))) return;
      throw error;
    }
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: source }));
  }

  async discard(key: string): Promise<void> {
    await this.remove(this.staged(key));
  }

  async get(key: string): Promise<Buffer> {
    let sealed: Uint8Array;
    try {
      const answer = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.published(key) }));
      if (!answer.Body) throw imageNotFound(key);
      sealed = await answer.Body.transformToByteArray();
    } catch (error) {
      if (isMissing(error)) throw imageNotFound(key);
      throw error;
    }
    return decryptImage(this.key, key, Buffer.from(sealed));
  }

  async delete(key: string): Promise<void> {
    await this.remove(this.published(key));
  }

  /**
   * Walks `staging/` a page at a time: committed keys are published whatever their age,
   * uncommitted ones deleted once older than the grace period.
   */
  async recover(isCommitted: (keys: string[]) => Promise<Set<string>>): Promise<{ published: number; discarded: number }> {
    const stagingPrefix = `${this.prefix}staging/`;
    const cutoff = Date.now() - this.stagingGraceMs;
    let published = 0;
    let discarded = 0;
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: stagingPrefix, MaxKeys: this.listPageSize, ContinuationToken: token }),
      );
      const objects = (page.Contents ?? [])
        .map((o) => ({ key: (o.Key ?? "").slice(stagingPrefix.length), modifiedAt: o.LastModified?.getTime() ?? 0 }))
        // Anything else under staging/ (a folder marker, a stranger's file) was not written by a store.
        .filter((o) => isSafeKey(o.key));
      const committed = objects.length ? await isCommitted(objects.map((o) => o.key)) : new Set<string>();
      await eachLimited(objects, RECOVERY_CONCURRENCY, async ({ key, modifiedAt }) => {
        if (committed.has(key)) {
          await this.publish(key);
          published++;
        } else if (modifiedAt <= cutoff) {
          await this.discard(key);
          discarded++;
        }
      });
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return { published, discarded };
  }

  private async exists(objectKey: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw error;
    }
  }

  /** S3 answers 204 for a missing key; some compatible servers answer 404, which means the same here. */
  private async remove(objectKey: string): Promise<void> {
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: objectKey }));
    } catch (error) {
      if (!isMissing(error)) throw error;
    }
  }
}
