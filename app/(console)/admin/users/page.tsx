import { CreateUserForm } from "@/components/admin/create-user-form";
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
            <th>Role</th>
            <th>Last sign-in (UTC)</th>
            <th>State</th>
          </tr>
        </thead>
        <tbody>
          {users.map((u) => (
            <tr key={u.id}>
              <td>{u.email}</td>
              <td>{u.name}</td>
              <td>{u.role}</td>
              <td>{u.lastSignInAt ? u.lastSignInAt.toISOString().replace("T", " ").slice(0, 19) : "never"}</td>
              <td>{u.disabledAt ? "disabled" : "active"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}
