namespace Wharf.Registry.Configuration;

/// <summary>What Wharf does with a key of distribution's config.yml.</summary>
public enum KeyFate
{
    /// <summary>Works as distribution documents it.</summary>
    Honoured,
    /// <summary>Accepted and ignored with one information line: it only tunes distribution's own internals.</summary>
    Ignored,
    /// <summary>Wharf refuses to start: ignoring the key would change what the user asked for.</summary>
    Refused,
}

/// <summary>One row of the table: a key pattern, its fate, and what to tell the operator.</summary>
/// <param name="Pattern">Dotted key; <c>*</c> is one segment (a list index or a map key), a trailing <c>**</c> the whole subtree.</param>
/// <param name="Note">For refused keys the reason and what to do instead; for ignored keys why nothing is lost.</param>
public sealed record DistributionKey(string Pattern, KeyFate Fate, string Note = "");

/// <summary>
/// Every key of distribution's configuration reference (docs/configuration.md) and its fate in Wharf: the one
/// place the rule lives. <see cref="ConfigurationFates"/> applies it at start; the README's table says the same
/// (a test compares the two).
/// </summary>
public static class DistributionKeys
{
    private const string StorageDriverNote =
        "this storage driver is not available in Wharf; serving from the local filesystem instead would put your images somewhere you did not ask for. " +
        "Use storage.filesystem, storage.s3 or storage.azure";

    public static readonly IReadOnlyList<DistributionKey> All =
    [
        new("version", KeyFate.Honoured, "must be 0.1"),
        new("configuration.path", KeyFate.Honoured, "REGISTRY_CONFIGURATION_PATH names the file"),

        new("log.level", KeyFate.Honoured, "error, warn, info, debug"),
        new("loglevel", KeyFate.Honoured, "deprecated alias of log.level"),
        new("log.formatter", KeyFate.Honoured, "text or json; logstash is refused"),
        new("log.fields.**", KeyFate.Honoured, "added to every log line"),
        new("log.accesslog.disabled", KeyFate.Honoured, "true turns off the access log (one line per request)"),
        new("log.hooks.**", KeyFate.Refused, "log hooks (mail on panic) are not available; alert on Wharf's error log lines instead"),

        new("storage.filesystem.rootdirectory", KeyFate.Honoured, "the store, in distribution's layout"),
        new("storage.filesystem.maxthreads", KeyFate.Ignored, "bounds distribution's filesystem threads; .NET's thread pool does this"),
        new("storage.delete.enabled", KeyFate.Honoured, "DELETE of manifests, tags and blobs (405 UNSUPPORTED otherwise)"),
        new("storage.maintenance.uploadpurging.enabled", KeyFate.Honoured),
        new("storage.maintenance.uploadpurging.age", KeyFate.Honoured),
        new("storage.maintenance.uploadpurging.interval", KeyFate.Honoured),
        new("storage.maintenance.uploadpurging.dryrun", KeyFate.Honoured),
        new("storage.maintenance.readonly.enabled", KeyFate.Honoured, "refuse pushes and deletes"),
        new("storage.cache.blobdescriptor", KeyFate.Ignored, "a blob descriptor cache; Wharf's metadata database answers these lookups"),
        new("storage.cache.blobdescriptorsize", KeyFate.Ignored, "size of that cache"),
        new("storage.cache.layerinfo", KeyFate.Ignored, "deprecated name of storage.cache.blobdescriptor"),
        new("storage.redirect.disable", KeyFate.Honoured, "on S3 and Azure, true serves blob GETs through Wharf instead of a 307 to a signed URL; the filesystem always serves them itself"),
        new("storage.inmemory", KeyFate.Refused, "there is no in-memory store (it would lose everything at exit); use storage.filesystem on a tmpfs"),
        new("storage.inmemory.**", KeyFate.Refused, "there is no in-memory store; use storage.filesystem on a tmpfs"),
        new("storage.s3.accesskey", KeyFate.Honoured, "with secretkey; both left out: the AWS credential chain (environment, instance role)"),
        new("storage.s3.secretkey", KeyFate.Honoured),
        new("storage.s3.region", KeyFate.Honoured),
        new("storage.s3.regionendpoint", KeyFate.Honoured, "an S3-compatible endpoint (MinIO, Ceph)"),
        new("storage.s3.forcepathstyle", KeyFate.Honoured),
        new("storage.s3.bucket", KeyFate.Honoured),
        new("storage.s3.rootdirectory", KeyFate.Honoured, "keys are <rootdirectory>/docker/registry/v2/..., as registry:2 writes them"),
        new("storage.s3.secure", KeyFate.Honoured, "https to the endpoint (true by default)"),
        new("storage.s3.chunksize", KeyFate.Honoured, "multipart part size, at least 5 MiB (10 MiB by default)"),
        new("storage.s3.encrypt", KeyFate.Honoured, "server-side encryption (SSE-S3, or SSE-KMS with keyid)"),
        new("storage.s3.keyid", KeyFate.Honoured, "the KMS key for encrypt"),
        new("storage.s3.storageclass", KeyFate.Honoured, "STANDARD by default; NONE sends none"),
        new("storage.s3.objectacl", KeyFate.Honoured, "private only: another ACL refuses to start (the bucket's policy decides access)"),
        new("storage.s3.v4auth", KeyFate.Ignored, "Wharf always signs with Signature Version 4"),
        new("storage.s3.multipartcopychunksize", KeyFate.Ignored, "tunes server-side copies, which Wharf never makes"),
        new("storage.s3.multipartcopymaxconcurrency", KeyFate.Ignored, "tunes server-side copies, which Wharf never makes"),
        new("storage.s3.multipartcopythresholdsize", KeyFate.Ignored, "tunes server-side copies, which Wharf never makes"),
        new("storage.s3.loglevel", KeyFate.Ignored, "the AWS SDK's request logging; Wharf logs its own storage errors"),
        new("storage.s3.accelerate", KeyFate.Refused, "S3 Transfer Acceleration is not available yet in this version of Wharf; remove the key"),
        new("storage.s3.usedualstack", KeyFate.Refused, "dual-stack S3 endpoints are not available yet in this version of Wharf; set regionendpoint to the endpoint instead"),
        new("storage.s3.skipverify", KeyFate.Refused, "Wharf always verifies the endpoint's TLS certificate; trust its CA on the machine instead"),
        new("storage.s3.sessiontoken", KeyFate.Refused, "temporary credentials are not available yet in this version of Wharf; use accesskey/secretkey or the AWS credential chain"),
        new("storage.azure.accountname", KeyFate.Honoured),
        new("storage.azure.accountkey", KeyFate.Honoured),
        new("storage.azure.container", KeyFate.Honoured, "created when missing, as distribution does"),
        new("storage.azure.rootdirectory", KeyFate.Honoured, "blob names are <rootdirectory>/docker/registry/v2/..."),
        new("storage.azure.realm", KeyFate.Honoured, "core.windows.net by default"),
        new("storage.azure.serviceurl", KeyFate.Honoured, "the whole blob endpoint (Azurite, a private endpoint)"),
        new("storage.azure.copy_status_poll_max_retry", KeyFate.Ignored, "tunes server-side copies, which Wharf never makes"),
        new("storage.azure.copy_status_poll_delay", KeyFate.Ignored, "tunes server-side copies, which Wharf never makes"),
        new("storage.azure.credentials.**", KeyFate.Refused, "Azure AD credentials are not available yet in this version of Wharf; use accountname and accountkey"),
        new("storage.gcs.**", KeyFate.Refused, StorageDriverNote),
        new("storage.swift.**", KeyFate.Refused, StorageDriverNote),
        new("storage.oss.**", KeyFate.Refused, StorageDriverNote),

        new("auth", KeyFate.Honoured, "auth: none turns registry authentication off"),
        new("auth.htpasswd.realm", KeyFate.Honoured, "the Basic realm"),
        new("auth.htpasswd.path", KeyFate.Honoured, "bcrypt users, each may do everything; the file is re-read when it changes"),
        new("auth.token.realm", KeyFate.Honoured, "the external token server's URL, sent in every challenge"),
        new("auth.token.service", KeyFate.Honoured, "the challenge's service and the audience tokens must name"),
        new("auth.token.issuer", KeyFate.Honoured, "the iss tokens must name"),
        new("auth.token.rootcertbundle", KeyFate.Honoured, "PEM certificates: a token's x5c chain must lead to one, or its kid name one's key"),
        new("auth.token.autoredirect", KeyFate.Honoured, "true: the realm is /auth/token on the host the client used"),
        new("auth.silly.**", KeyFate.Refused, "auth.silly lets any Authorization header in; use auth.htpasswd, auth.token or Wharf's own users"),

        new("middleware.**", KeyFate.Refused, "registry, repository and storage middleware (cloudfront, redirect, alicdn) are not available; remove the middleware section"),

        new("reporting.bugsnag.**", KeyFate.Refused, "error reporting to Bugsnag is not available; remove reporting (Wharf logs errors and serves /metrics)"),
        new("reporting.newrelic.**", KeyFate.Refused, "New Relic reporting is not available; remove reporting (Wharf serves /metrics)"),

        new("http.addr", KeyFate.Honoured, "listen address"),
        new("http.net", KeyFate.Honoured, "tcp or unix"),
        new("http.prefix", KeyFate.Honoured, "Wharf answers under the prefix only"),
        new("http.host", KeyFate.Honoured, "every generated URL (Location, token realm) is built on it"),
        new("http.secret", KeyFate.Ignored, "signs upload state that distribution hands to clients; Wharf keeps upload state on the server"),
        new("http.relativeurls", KeyFate.Honoured, "Wharf's default is true (relative Locations work behind any front); false gives absolute URLs"),
        new("http.draintimeout", KeyFate.Honoured, "how long a stop waits for requests in flight"),
        new("http.tls.certificate", KeyFate.Honoured, "HTTPS from PEM files"),
        new("http.tls.key", KeyFate.Honoured, ""),
        new("http.tls.clientcas.*", KeyFate.Honoured, "mutual TLS: connections without a certificate from one of these CAs are refused"),
        new("http.tls.minimumtls", KeyFate.Honoured, "tls1.2 (default) or tls1.3; tls1.0/tls1.1 refuse to start"),
        new("http.tls.ciphersuites.*", KeyFate.Honoured, "IANA names, as distribution's"),
        new("http.tls.letsencrypt.**", KeyFate.Refused, "Let's Encrypt certificates are not obtained by Wharf; get them with certbot (or a TLS front) and set http.tls.certificate and http.tls.key"),
        new("http.debug.addr", KeyFate.Honoured, "a second listener for /debug/health and the metrics"),
        new("http.debug.prometheus.enabled", KeyFate.Honoured, "serve Prometheus metrics on the debug listener"),
        new("http.debug.prometheus.path", KeyFate.Honoured, "/metrics by default"),
        new("http.headers.**", KeyFate.Honoured, "added to every response"),
        new("http.http2.disabled", KeyFate.Honoured, "HTTP/1.1 only"),

        new("notifications.events.includereferences", KeyFate.Honoured, "false (the default) only: true refuses to start"),
        new("notifications.endpoints.*.name", KeyFate.Honoured),
        new("notifications.endpoints.*.disabled", KeyFate.Honoured),
        new("notifications.endpoints.*.url", KeyFate.Honoured, "events are queued in the registry database and delivered at least once, with ids; see docs/notifications.md"),
        new("notifications.endpoints.*.headers.**", KeyFate.Honoured),
        new("notifications.endpoints.*.timeout", KeyFate.Honoured),
        new("notifications.endpoints.*.threshold", KeyFate.Honoured),
        new("notifications.endpoints.*.backoff", KeyFate.Honoured),
        new("notifications.endpoints.*.ignoredmediatypes.*", KeyFate.Honoured),
        new("notifications.endpoints.*.ignore.mediatypes.*", KeyFate.Honoured),
        new("notifications.endpoints.*.ignore.actions.*", KeyFate.Honoured),

        new("redis.**", KeyFate.Ignored, "distribution caches blob descriptors in Redis; Wharf's metadata database needs no cache"),

        new("health.storagedriver.enabled", KeyFate.Honoured, "/readyz checks the store with interval and threshold"),
        new("health.storagedriver.interval", KeyFate.Honoured),
        new("health.storagedriver.threshold", KeyFate.Honoured),
        new("health.file.*.file", KeyFate.Honoured, "/readyz fails while the file exists"),
        new("health.file.*.interval", KeyFate.Honoured),
        new("health.http.*.uri", KeyFate.Honoured, "/readyz fails while a HEAD to the URL does not answer statuscode"),
        new("health.http.*.headers.**", KeyFate.Honoured, "sent with the HEAD request"),
        new("health.http.*.statuscode", KeyFate.Honoured, "200 by default"),
        new("health.http.*.timeout", KeyFate.Honoured, "2s by default"),
        new("health.http.*.interval", KeyFate.Honoured, "10s by default"),
        new("health.http.*.threshold", KeyFate.Honoured, "failures in a row before unhealthy (1 when unset)"),
        new("health.tcp.*.addr", KeyFate.Honoured, "/readyz fails while a TCP connection to host:port cannot be opened"),
        new("health.tcp.*.timeout", KeyFate.Honoured, "2s by default"),
        new("health.tcp.*.interval", KeyFate.Honoured, "10s by default"),
        new("health.tcp.*.threshold", KeyFate.Honoured, "failures in a row before unhealthy (1 when unset)"),

        new("proxy.remoteurl", KeyFate.Honoured, "pull-through cache of that registry for the whole namespace"),
        new("proxy.username", KeyFate.Honoured),
        new("proxy.password", KeyFate.Honoured),
        new("proxy.ttl", KeyFate.Honoured, "168h by default; 0 keeps content"),

        // GitLab's container registry's database section (not in distribution's reference): PostgreSQL for the metadata.
        new("database.enabled", KeyFate.Honoured, "true: metadata and portal data in PostgreSQL (GitLab's registry section); SQLite otherwise"),
        new("database.host", KeyFate.Honoured),
        new("database.port", KeyFate.Honoured, "5432 by default"),
        new("database.user", KeyFate.Honoured),
        new("database.password", KeyFate.Honoured),
        new("database.dbname", KeyFate.Honoured),
        new("database.sslmode", KeyFate.Honoured, "disable, allow, prefer (the default), require, verify-ca, verify-full"),

        new("compatibility.schema1.enabled", KeyFate.Honoured, "false (the default) only: schema1 manifests are always refused, so true refuses to start"),
        new("compatibility.schema1.signingkeyfile", KeyFate.Ignored, "signs schema1 manifests, which Wharf never produces"),

        new("validation.enabled", KeyFate.Honoured, "deprecated; false (or validation.disabled: true) refuses to start: Wharf always validates manifests"),
        new("validation.disabled", KeyFate.Honoured, "deprecated; see validation.enabled"),
        new("validation.manifests.urls.allow.*", KeyFate.Honoured, "a foreign layer's URLs must match one of these regular expressions"),
        new("validation.manifests.urls.deny.*", KeyFate.Honoured, "and none of these"),
    ];

    /// <summary>The row for a dotted key as found in configuration (lower case), or null when distribution has no such key.</summary>
    public static DistributionKey? Find(string dottedKey)
    {
        var segments = dottedKey.Split('.');
        return All.FirstOrDefault(k => Matches(k.Pattern.Split('.'), segments));
    }

    private static bool Matches(string[] pattern, string[] key)
    {
        for (var i = 0; i < pattern.Length; i++)
        {
            if (pattern[i] == "**") return key.Length > i;
            if (i >= key.Length) return false;
            if (pattern[i] != "*" && !string.Equals(pattern[i], key[i], StringComparison.OrdinalIgnoreCase)) return false;
        }
        return key.Length == pattern.Length;
    }
}
