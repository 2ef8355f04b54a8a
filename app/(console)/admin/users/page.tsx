import { CreateUserForm } from "@/components/admin/create-user-form";
import { UserRowControls } from "@/components/admin/user-row-controls";
import { getDb } from "@/db/client";
import { requirePageUser } from "@/lib/auth/guard";
import { listUsers } from "@/lib/auth/users";

export const dynamic = "force-dynamic";
export const metadata = { title: "Users · Admin · Vigil" };

/** Console users and their roles (admins only). */
export default async function UsersPage() {
  await requirePageUser("/admin/users", "admin");
  const users = await listUsers(await getDb());
  return (
    <main className="wide">
      <h1>Users</h1>
      <CreateUserForm />
      <table>
        <thead>
          <tr>
            <th>E-mail</th>
            <th>Name</th>
            <th>Last sign-in (UTC)</th>
            <th>State</th>
            <th>Role</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id}>
              <td>{u.email}</td>
              <td>{u.name}</td>
              <td>{u.lastSignInAt ? u.lastSignInAt.toISOString().replace("T", " ").slice(0, 19) : "never"}</td>
              <td>{u.disabledAt ? "disabled" : "active"}</td>
              <UserRowControls userId={u.id} email={u.email} role={u.role as "admin" | "reviewer"} disabled={u.disabledAt !== null} />
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}
