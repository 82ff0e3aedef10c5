// A real OpenID Connect provider on loopback for the ProConnect tests
// (npm `oidc-provider`), set up like ProConnect: the scopes and claims
// `email`, `given_name`, `usual_name`, `siret`, `uid`, userinfo answered as
// a signed JWT (RS256), PKCE required, RP-initiated logout. The sign-in
// page is a plain form (any address, names and SIRET typed are the
// account), usable by a browser test and by an HTTP client.
//
//   node tests/oidc/provider.mjs --client-id passerelle --client-secret s \
//     --redirect-uri http://127.0.0.1:8080/connexion/proconnect/retour \
//     --post-logout-redirect-uri http://127.0.0.1:8080/ \
//     [--userinfo json] [--tamper aud|nonce|exp]
//
// prints `ISSUER http://127.0.0.1:<port>` once listening. `--tamper`
// re-signs the ID token of each token response with the provider's own
// key after changing one claim (its audience, its nonce, or its expiry to
// an hour ago), so that the refusal can only come from the client's
// verification. `--userinfo json` answers userinfo as plain JSON.
import { createServer } from "node:http";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import Provider from "oidc-provider";
import { SignJWT, decodeJwt, importJWK } from "jose";

const { values: args } = parseArgs({
  options: {
    "client-id": { type: "string", default: "passerelle" },
    "client-secret": { type: "string", default: "secret-de-test" },
    "redirect-uri": { type: "string" },
    "post-logout-redirect-uri": { type: "string" },
    userinfo: { type: "string", default: "jwt" },
    tamper: { type: "string" },
  },
});

const key = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" });
Object.assign(key, { kid: "cle-de-test", alg: "RS256", use: "sig" });

// The accounts typed on the sign-in form, by their subject.
const accounts = new Map();

const escape = (s) =>
  String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid, params) {
  const field = (name, label, value) =>
    `<p><label for="${name}">${label}</label><br><input id="${name}" name="${name}" value="${escape(value)}"></p>`;
  return `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8"><title>Fournisseur d’identité de test</title></head>
<body><main><h1>Fournisseur d’identité de test</h1>
<p>Client : ${escape(params.client_id)}</p>
<form method="post" action="/interaction/${uid}">
${field("email", "Adresse électronique", "")}
${field("given_name", "Prénom", "Anne")}
${field("usual_name", "Nom d’usage", "Le Goff")}
${field("siret", "SIRET", "")}
<button type="submit">Se connecter</button>
</form></main></body></html>`;
}

async function readForm(req) {
  let body = "";
  for await (const chunk of req) body += chunk;
  return Object.fromEntries(new URLSearchParams(body));
}

const server = createServer();
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const client = {
  client_id: args["client-id"],
  client_secret: args["client-secret"],
  redirect_uris: [args["redirect-uri"]],
  post_logout_redirect_uris: args["post-logout-redirect-uri"] ? [args["post-logout-redirect-uri"]] : [],
  grant_types: ["authorization_code"],
  response_types: ["code"],
};
if (args.userinfo === "jwt") client.userinfo_signed_response_alg = "RS256";

const scopes = ["openid", "email", "given_name", "usual_name", "siret", "uid"];
const provider = new Provider(issuer, {
  clients: [client],
  jwks: { keys: [key] },
  cookies: { keys: [randomBytes(32).toString("hex")] },
  scopes,
  claims: {
    openid: ["sub"],
    email: ["email"],
    given_name: ["given_name"],
    usual_name: ["usual_name"],
    siret: ["siret"],
    uid: ["uid"],
  },
  features: {
    devInteractions: { enabled: false },
    jwtUserinfo: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  pkce: { required: () => true },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // ProConnect asks no consent of its own: every scope asked is granted.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(scopes.join(" "));
    await grant.save();
    return grant;
  },
  async findAccount(ctx, sub) {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return { accountId: sub, claims: async () => ({ sub, ...account }) };
  },
});

// `--tamper`: one claim of the ID token changed, re-signed with our key.
const signingKey = await importJWK(key, "RS256");
provider.use(async (ctx, next) => {
  await next();
  if (!args.tamper || ctx.path !== "/token" || !ctx.body?.id_token) return;
  const claims = decodeJwt(ctx.body.id_token);
  const now = Math.floor(Date.now() / 1000);
  if (args.tamper === "aud") claims.aud = "un-autre-service";
  if (args.tamper === "nonce") claims.nonce = "une-autre-demande";
  if (args.tamper === "exp") Object.assign(claims, { iat: now - 7200, exp: now - 3600 });
  ctx.body = {
    ...ctx.body,
    id_token: await new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: key.kid }).sign(signingKey),
  };
});

const callback = provider.callback();
server.on("request", async (req, res) => {
  const match = req.url.match(/^\/interaction\/([\w-]+)$/);
  if (!match) return callback(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (req.method === "GET") {
      res.setHeader("Content-Type", "text/html; charset=utf-8");
      return res.end(loginPage(match[1], details.params));
    }
    const form = await readForm(req);
    const sub = `sub-${form.email}`;
    accounts.set(sub, {
      email: form.email,
      given_name: form.given_name,
      usual_name: form.usual_name,
      siret: form.siret,
      uid: sub,
    });
    await provider.interactionFinished(req, res, { login: { accountId: sub } }, { mergeWithLastSubmission: false });
  } catch (e) {
    res.statusCode = 400;
    res.end(String(e));
  }
});

console.log(`ISSUER ${issuer}`);
