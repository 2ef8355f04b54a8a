CREATE TABLE "collections" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "collections_code_unique" UNIQUE("code")
);
--> statement-breakpoint
CREATE TABLE "duplicate_candidates" (
	"id" text PRIMARY KEY NOT NULL,
	"verification_id" text NOT NULL,
	"project_id" text NOT NULL,
	"person_id" text,
	"face_id" text,
	"person_name" text NOT NULL,
	"similarity" real NOT NULL,
	"rank" integer NOT NULL,
	"verdict" text,
	"decided_by" text,
	"decided_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "person_collections" (
	"person_id" text NOT NULL,
	"collection_id" text NOT NULL,
	CONSTRAINT "person_collections_person_id_collection_id_pk" PRIMARY KEY("person_id","collection_id")
);
--> statement-breakpoint
CREATE TABLE "person_faces" (
	"id" text PRIMARY KEY NOT NULL,
	"person_id" text NOT NULL,
	"project_id" text NOT NULL,
	"embedding" "bytea" NOT NULL,
	"storage_key" text,
	"format" text,
	"width" integer,
	"height" integer,
	"face" jsonb,
	"liveness" real,
	"source_image_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "persons" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text NOT NULL,
	"name" text NOT NULL,
	"external_ref" text,
	"metadata" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "projects" ADD COLUMN "gallery_version" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "collections" ADD CONSTRAINT "collections_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "duplicate_candidates" ADD CONSTRAINT "duplicate_candidates_verification_id_verifications_id_fk" FOREIGN KEY ("verification_id") REFERENCES "public"."verifications"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "duplicate_candidates" ADD CONSTRAINT "duplicate_candidates_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "duplicate_candidates" ADD CONSTRAINT "duplicate_candidates_person_id_persons_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."persons"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "person_collections" ADD CONSTRAINT "person_collections_person_id_persons_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."persons"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "person_collections" ADD CONSTRAINT "person_collections_collection_id_collections_id_fk" FOREIGN KEY ("collection_id") REFERENCES "public"."collections"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "person_faces" ADD CONSTRAINT "person_faces_person_id_persons_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."persons"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "person_faces" ADD CONSTRAINT "person_faces_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "persons" ADD CONSTRAINT "persons_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "collections_project_id_index" ON "collections" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "duplicate_candidates_verification_id_index" ON "duplicate_candidates" USING btree ("verification_id");--> statement-breakpoint
CREATE INDEX "duplicate_candidates_person_id_index" ON "duplicate_candidates" USING btree ("person_id");--> statement-breakpoint
CREATE INDEX "person_collections_collection_id_index" ON "person_collections" USING btree ("collection_id");--> statement-breakpoint
CREATE INDEX "person_faces_project_id_index" ON "person_faces" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "person_faces_person_id_index" ON "person_faces" USING btree ("person_id");--> statement-breakpoint
CREATE INDEX "person_faces_source_image_id_index" ON "person_faces" USING btree ("source_image_id");--> statement-breakpoint
CREATE INDEX "persons_project_id_created_at_index" ON "persons" USING btree ("project_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "persons_project_id_external_ref_index" ON "persons" USING btree ("project_id","external_ref");