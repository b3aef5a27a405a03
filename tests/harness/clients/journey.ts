// The portal journey as a portal team writes it first, typed by `api.d.ts` that openapi-typescript generates
// from /api/schema/ with its default options. tests/harness/test_api_clients.py compiles it with `tsc --strict`:
// each request carries only the fields a client must send, and each answer is read as the schema types it.
import type { paths } from "./api";

type Method = "get" | "post";
type Operation<P extends keyof paths, M extends Method> = paths[P] extends { [K in M]: infer Op } ? Op : never;
type JsonBody<Op> = Op extends { requestBody?: { content: { "application/json": infer Body } } } ? Body : never;
type JsonAnswer<Op> = Op extends { responses: infer Answers }
  ? Answers extends { 200: { content: { "application/json": infer Ok } } }
    ? Ok
    : Answers extends { 201: { content: { "application/json": infer Created } } }
      ? Created
      : never
  : never;
type Query<Op> = Op extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

/** A few lines of fetch around the generated types: what a portal has before any SDK. */
class Portal {
  private access = "";

  constructor(private readonly baseUrl: string) {}

  logIn(access: string): void {
    this.access = access;
  }

  async get<P extends keyof paths>(path: P, query?: Query<Operation<P, "get">>): Promise<JsonAnswer<Operation<P, "get">>> {
    const search = new URLSearchParams(Object.entries(query ?? {}).map(([key, value]) => [key, String(value)]));
    return this.call("GET", `${String(path)}?${search}`);
  }

  async post<P extends keyof paths>(path: P, body: JsonBody<Operation<P, "post">>): Promise<JsonAnswer<Operation<P, "post">>> {
    return this.call("POST", String(path), body);
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (this.access) headers.Authorization = `Bearer ${this.access}`;
    const answer = await fetch(this.baseUrl + path, { method, headers, body: JSON.stringify(body) });
    if (!answer.ok) {
      const refusal: paths["/api/v1/portal/auth/log-in/"]["post"]["responses"][400]["content"]["application/json"] =
        await answer.json();
      throw new Error(`${refusal.error.code}: ${refusal.error.message}`);
    }
    return (await answer.json()) as T;
  }
}

export async function journey(baseUrl: string, email: string, password: string, emailToken: () => Promise<string>) {
  const portal = new Portal(baseUrl);

  const signedUp = await portal.post("/api/v1/portal/auth/sign-up/", { form: "real", email, password, first_name: "Jane" });
  portal.logIn(signedUp.access);
  const greeting: string = `Welcome, ${signedUp.customer.first_name}`;
  await portal.post("/api/v1/portal/auth/email/verify/", { token: await emailToken() });

  const session = await portal.post("/api/v1/portal/auth/log-in/", { email, password });
  portal.logIn(session.access);

  const wallets = await portal.get("/api/v1/portal/wallets/", { limit: 10 });
  const wallet = wallets.results[0];
  const balance: string = wallet.balance;

  const depositMethods = await portal.get("/api/v1/portal/payment-methods/", { type: "deposit", currency: wallet.currency });
  const deposit = await portal.post("/api/v1/portal/deposits/", { method: depositMethods[0].id, wallet: wallet.id, amount: "100.00" });
  const checkout: string = deposit.checkout_url;

  const payoutMethods = await portal.get("/api/v1/portal/payment-methods/", { type: "withdrawal" });
  const withdrawal = await portal.post("/api/v1/portal/withdrawals/", { method: payoutMethods[0].id, wallet: wallet.id, amount: "40.00" });

  const transactions = await portal.get("/api/v1/portal/transactions/", { wallet_id: wallet.id });
  const lines: string[] = transactions.results.map((txn) => `${txn.type} ${txn.status} ${txn.amount} ${txn.currency}`);
  return { greeting, balance, checkout, withdrawal: withdrawal.id, lines, more: transactions.next !== null };
}
