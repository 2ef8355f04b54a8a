"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";

/**
 * The admin pages, in the order the sub-navigation lists them. A new admin page adds one line.
 * Each page guards itself with requirePageUser(path, "admin"); this list only draws links.
 */
const adminPages: Array<{ href: string; label: string }> = [
  { href: "/admin/users", label: "Users" },
  { href: "/admin/thresholds", label: "Thresholds" },
  { href: "/admin/keys", label: "API keys" },
  { href: "/admin/webhooks", label: "Webhooks" },
  { href: "/admin/metrics", label: "Metrics" },
  { href: "/admin/retention", label: "Retention" },
];

/** Admin sub-navigation above every admin page. A reviewer never sees it: the pages answer 403. */
export default function AdminLayout({ children }: { children: ReactNode }) {
  const pathname = usePathname();
  return (
    <>
      <nav aria-label="Admin" className="subnav">
        {adminPages.map((page) => (
          <Link key={page.href} href={page.href} aria-current={pathname === page.href || pathname.startsWith(`${page.href}/`) ? "page" : undefined}>
            {page.label}
          </Link>
        ))}
      </nav>
      {children}
    </>
  );
}
