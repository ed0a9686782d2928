using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Wharf.Portal.Access;
using Wharf.Portal.Data;
using Wharf.Registry.Auth;
using Wharf.Tests.Unit.Access;
using Xunit;
using Xunit.Abstractions;

namespace Wharf.Tests.Unit.Api;

/// <summary>
/// A corpus of hostile requests against one registry with authentication on (token mode) and content in it. Each
/// row is a request and the answer it must get; on top of that, no request may get a 500, no file may appear outside
/// the data root, and the content pushed before the corpus must be intact after it. The rows are sent as the server
/// sees them (no client canonicalizes the path first).
/// </summary>
public sealed class HostileRequestTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Repo = "corpus/app";
    private const string Other = "corpus/other";

    /// <summary>Who a row's request comes from.</summary>
    public enum As
    {
        /// <summary>A valid Admin token for the row's repository (pull, push, delete) and the catalog.</summary>
        Admin,
        /// <summary>No Authorization header.</summary>
        Nobody,
        /// <summary>A token Wharf's key did not sign.</summary>
        Forged,
        /// <summary>A token Wharf signed that expired an hour ago.</summary>
        Expired,
        /// <summary>An Admin token for corpus/other only.</summary>
        OtherScope,
        /// <summary>A token of a user who may only pull under corpus/.</summary>
        PullOnly,
        /// <summary>A token issued to an anonymous caller.</summary>
        AnonymousToken,
        /// <summary>The Admin's Basic credentials, which token mode does not take on /v2.</summary>
        Basic,
    }

    /// <summary>One hostile request and the answer it must get (<paramref name="Code"/> null: no error body is expected).</summary>
    public sealed record Row(string Method, string Path, int Status, string? Code, As Who = As.Admin, string? Body = null,
        string? ContentType = null, string? Headers = null, byte[]? Bytes = null, string Note = "")
    {
        public override string ToString() => $"{Method} {Shorten(Path)} as {Who}{(Note.Length > 0 ? " (" + Note + ")" : "")}";
        private static string Shorten(string s) => s.Length > 90 ? s[..90] + "…" : s;
    }

    private readonly TempDirectory _sandbox = new();
    private readonly TempDirectory _forgersKey = new();
    private AccessHost _wharf = null!;
    private Seed _seed = null!;

    /// <summary>What was pushed before the corpus.</summary>
    private sealed record Seed(TestImage Image, string ManifestDigest, string Layer, string Config, string OtherBlob, byte[] OtherBlobContent);

    public async Task InitializeAsync()
    {
        // The data root sits inside a sandbox directory that holds nothing else: anything written beside it escaped.
        var root = _sandbox.Combine("root");
        _wharf = new AccessHost("token", "--registry:storage:filesystem:rootdirectory=" + root, "--Wharf:Uploads:MaxSessionsPerCaller=40");
        await _wharf.InitializeAsync();
        await _wharf.CreateUserAsync("reader", "reader-password-12345");
        await _wharf.GrantAsync("corpus", GrantSubjectKind.User, "reader", RepositoryActions.Pull);

        using var admin = _wharf.ClientWith(AccessHost.Bearer(AdminToken(Repo)));
        var image = TestContent.Image("corpus");
        var digest = await admin.PushImageAsync(Repo, "1.0", image);
        using var other = _wharf.ClientWith(AccessHost.Bearer(AdminToken(Other)));
        var otherContent = TestContent.Layer("only in the other repository");
        var otherBlob = await other.PushBlobAsync(Other, otherContent);
        _seed = new Seed(image, digest, Digests.Sha256(image.Blobs[^1]), Digests.Sha256(image.Blobs[0]), otherBlob, otherContent);
    }

    public async Task DisposeAsync()
    {
        await _wharf.DisposeAsync();
        _sandbox.Dispose();
        _forgersKey.Dispose();
    }

    private string DataRoot => _sandbox.Combine("root");

    // ---------------------------------------------------------------- the corpus

    private const string Hex64 = "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9";
    private const string Unknown = "sha256:" + Hex64;
    private const string Oci = "application/vnd.oci.image.manifest.v1+json";
    private const string OciIndex = "application/vnd.oci.image.index.v1+json";

    private static string Manifest(string config, long configSize, params (string Digest, long Size)[] layers) =>
        $$"""{"schemaVersion":2,"mediaType":"{{Oci}}","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{config}}","size":{{configSize}}},"layers":[{{string.Join(',', layers.Select(l => $$"""{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{{l.Digest}}","size":{{l.Size}}}"""))}}]}""";

    private static string Nested(int depth) => "{\"schemaVersion\":2,\"x\":" + string.Concat(Enumerable.Repeat("[", depth)) + string.Concat(Enumerable.Repeat("]", depth)) + "}";

    private IEnumerable<Row> Corpus()
    {
        var s = _seed;
        var layerSize = s.Image.Blobs[^1].Length;
        var configSize = s.Image.Blobs[0].Length;
        var good = Manifest(s.Config, configSize, (s.Layer, layerSize));

        // Path traversal and other tricks in repository names: NAME_INVALID, or no route at all.
        foreach (var name in new[]
        {
            "..", "../..", "../../../../etc", "corpus/..", "corpus/../other", "./corpus", "corpus/./app", "corpus//app", "/corpus",
            "corpus/app/", "corpus\\..\\..\\etc", "..\\..\\windows", "corpus/app/..", "...", "corpus/.hidden", ".git", "corpus/-app", "corpus/app-",
            "corpus/app_", "corpus/a___b", "CORPUS/APP", "Corpus/app", "corpus/app ", " corpus/app", "corpus/ap p", "corpus/app\t",
            "corpus/app\0evil", "corpus:app", "corpus/app;rm", "corpus/app$(id)", "~root/app", "corpus/app*", "corpus/app#x",
            "c\u043Erpus/app",           // Cyrillic o
            "corpus/\uFF41pp",            // fullwidth a
            "corpus/a\u200Dpp",           // zero-width joiner
            "corpus/app\u202Egpj",        // right-to-left override
            "corpus/cafe\u0301",          // combining accent
            "corpus/\u0130stanbul",       // dotted capital I
            "corpus/app\uFEFF",           // byte-order mark
            new string('a', 256), "corpus/" + new string('b', 249),
        })
        {
            yield return new("GET", $"/v2/{name}/tags/list", 400, "NAME_INVALID", Note: "name " + Printable(name));
            yield return new("PUT", $"/v2/{name}/manifests/latest", 400, "NAME_INVALID", Body: good, ContentType: Oci, Note: "name " + Printable(name));
        }
        yield return new("GET", "/v2//tags/list", 404, "NOT_FOUND", Note: "empty name");
        yield return new("GET", "/v2///tags/list", 400, "NAME_INVALID", Note: "a name of slashes");
        yield return new("GET", "/v2////tags/list", 400, "NAME_INVALID", Note: "a name of slashes");
        yield return new("GET", "/v2/" + new string('a', 255) + "/tags/list", 404, "NAME_UNKNOWN", Note: "255 characters is still a name");

        // Encoded characters never belong in a registry path.
        foreach (var path in new[]
        {
            "/v2/corpus%2fapp/tags/list", "/v2/corpus%2Fapp/tags/list", "/v2/corpus/%2e%2e/%2e%2e/tags/list", "/v2/%2e%2e%2f%2e%2e%2fetc/tags/list",
            "/v2/corpus/app%00/tags/list", "/v2/corpus/app/blobs/sha256%3a" + Hex64, "/v2/corpus/app/manifests/..%2f..%2fetc%2fpasswd",
            "/v2/corpus/app/blobs/uploads/%2e%2e", "/v2/corpus%252fapp/tags/list", "/v2/corpus/app/manifests/%c0%ae%c0%ae",
        })
            yield return new("GET", path, 404, "NOT_FOUND", Note: "encoded");

        // Digests: allow-list of algorithms, exact lower-case hex length; never a path.
        foreach (var digest in new[]
        {
            "sha256:" + Hex64[..63], "sha256:" + Hex64 + "0", "sha256:" + Hex64.ToUpperInvariant(), "sha256:" + Hex64[..63] + "g",
            "sha512:" + Hex64, "md5:d41d8cd98f00b204e9800998ecf8427e", "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709", "sha256:", ":" + Hex64,
            "sha256" + Hex64, "SHA256:" + Hex64, "sha256:..", "sha256:.." + Hex64[4..], "sha256:" + Hex64[..62] + "\u0661\u0662",
            "sha256:" + Hex64[..63] + "\uFF41", "sha256+b64:" + Hex64, "sha256:" + Hex64 + ":x", "sha256:-" + Hex64[1..], "sha256: " + Hex64[1..],
        })
        {
            yield return new("GET", $"/v2/{Repo}/blobs/{digest}", 400, "DIGEST_INVALID", Note: "digest " + Printable(digest));
            yield return new("DELETE", $"/v2/{Repo}/blobs/{digest}", 400, "DIGEST_INVALID", Note: "digest " + Printable(digest));
        }
        foreach (var digest in new[] { "sha256:../../../../etc/passwd", "sha256:" + Hex64 + "/../../x", "../../" + Hex64 })
            yield return new("GET", $"/v2/{Repo}/blobs/{digest}", 404, "NOT_FOUND", Note: "digest with a slash");
        yield return new("GET", $"/v2/{Repo}/blobs/{Unknown}", 404, "BLOB_UNKNOWN");
        yield return new("GET", $"/v2/{Repo}/blobs/{s.OtherBlob}", 404, "BLOB_UNKNOWN", Note: "another repository's blob");
        yield return new("HEAD", $"/v2/{Repo}/blobs/{s.OtherBlob}", 404, null, Note: "another repository's blob");
        yield return new("POST", $"/v2/{Repo}/blobs/uploads/?digest=sha256:../../etc", 400, "DIGEST_INVALID", Bytes: [1, 2, 3]);
        yield return new("PUT", $"/v2/{Repo}/blobs/uploads/{{upload}}?digest=sha256:../x", 400, "DIGEST_INVALID", Bytes: [1]);
        yield return new("PUT", $"/v2/{Repo}/blobs/uploads/{{upload}}", 400, "DIGEST_INVALID", Note: "no digest");

        // Wrong digests and sizes.
        yield return new("POST", $"/v2/{Repo}/blobs/uploads/?digest={Unknown}", 400, "DIGEST_INVALID", Bytes: Encoding.UTF8.GetBytes("not hello world"), Note: "monolithic, wrong digest");
        yield return new("PUT", $"/v2/{Repo}/blobs/uploads/{{upload}}?digest={Unknown}", 400, "DIGEST_INVALID", Bytes: Encoding.UTF8.GetBytes("something else"));
        yield return new("PUT", $"/v2/{Repo}/blobs/uploads/{{upload10}}?digest={Unknown}", 400, "DIGEST_INVALID", Note: "session content, wrong digest");
        yield return new("PUT", $"/v2/{Repo}/blobs/uploads/{{upload}}?digest={Unknown}", 400, "DIGEST_INVALID", Note: "empty session");
        yield return new("PUT", $"/v2/{Repo}/blobs/uploads/{{upload}}?digest=sha512:" + new string('0', 128), 400, "DIGEST_INVALID", Bytes: [42]);
        yield return new("PUT", $"/v2/{Repo}/manifests/{Unknown}", 400, "DIGEST_INVALID", Body: good, ContentType: Oci, Note: "manifest pushed under another digest");
        yield return new("PUT", $"/v2/{Repo}/manifests/sha256:" + Hex64[..10], 400, "DIGEST_INVALID", Body: good, ContentType: Oci);

        // Chunks: malformed, out of order, overlapping Content-Range.
        foreach (var range in new[] { "abc", "5", "-5", "5-", "10-5", "0-99999999999999999999", "a-b", "0x0-0x9", "1e3-2e3", "bytes=0-", "0 - 9", "-1-5" })
            yield return new("PATCH", $"/v2/{Repo}/blobs/uploads/{{upload}}", 416, "BLOB_UPLOAD_INVALID", Headers: "Content-Range: " + range, Bytes: new byte[10], Note: "Content-Range " + range);
        yield return new("PATCH", $"/v2/{Repo}/blobs/uploads/{{upload}}", 416, "BLOB_UPLOAD_INVALID", Headers: "Content-Range: 5-14", Bytes: new byte[10], Note: "starts after the end");
        yield return new("PATCH", $"/v2/{Repo}/blobs/uploads/{{upload10}}", 416, "BLOB_UPLOAD_INVALID", Headers: "Content-Range: 0-9", Bytes: new byte[10], Note: "overlaps what is there");
        yield return new("PATCH", $"/v2/{Repo}/blobs/uploads/{{upload10}}", 416, "BLOB_UPLOAD_INVALID", Headers: "Content-Range: 5-14", Bytes: new byte[10], Note: "overlaps the end");
        yield return new("PATCH", $"/v2/{Repo}/blobs/uploads/{{upload10}}", 416, "BLOB_UPLOAD_INVALID", Headers: "Content-Range: 20-29", Bytes: new byte[10], Note: "leaves a gap");
        yield return new("PATCH", $"/v2/{Repo}/blobs/uploads/{{upload10}}", 416, "BLOB_UPLOAD_INVALID", Headers: "Content-Range: 9-18", Bytes: new byte[10], Note: "one byte back");
        yield return new("PUT", $"/v2/{Repo}/blobs/uploads/{{upload10}}?digest={Unknown}", 416, "BLOB_UPLOAD_INVALID", Headers: "Content-Range: 0-3", Bytes: new byte[4], Note: "final chunk overlaps");
        yield return new("PATCH", $"/v2/{Repo}/blobs/uploads/{{upload}}", 416, "BLOB_UPLOAD_INVALID", Headers: "Content-Range: 0-99", Bytes: new byte[10], Note: "range longer than the body");

        // Upload sessions: unknown, of another repository, not a session id.
        yield return new("PATCH", $"/v2/{Repo}/blobs/uploads/{Guid.NewGuid()}", 404, "BLOB_UPLOAD_UNKNOWN", Bytes: [1]);
        yield return new("GET", $"/v2/{Repo}/blobs/uploads/{Guid.NewGuid()}", 404, "BLOB_UPLOAD_UNKNOWN");
        yield return new("PUT", $"/v2/{Repo}/blobs/uploads/not-a-uuid?digest={Unknown}", 404, "BLOB_UPLOAD_UNKNOWN");
        yield return new("DELETE", $"/v2/{Repo}/blobs/uploads/..", 404, "BLOB_UPLOAD_UNKNOWN");
        yield return new("PATCH", $"/v2/{Other}/blobs/uploads/{{upload}}", 404, "BLOB_UPLOAD_UNKNOWN", Bytes: [1], Note: "corpus/app's session through corpus/other");
        yield return new("DELETE", $"/v2/{Other}/blobs/uploads/{{upload}}", 404, "BLOB_UPLOAD_UNKNOWN", Note: "cancel another repository's session");
        yield return new("GET", $"/v2/{Repo}/blobs/uploads/{Guid.NewGuid():N}", 404, "BLOB_UPLOAD_UNKNOWN", Note: "id without dashes");

        // Manifests: huge, malformed, nested, schema1, referencing what is not there or not this repository's.
        yield return new("PUT", $"/v2/{Repo}/manifests/huge", 413, "MANIFEST_INVALID", Bytes: Encoding.UTF8.GetBytes("{\"schemaVersion\":2,\"pad\":\"" + new string('x', 4 * 1024 * 1024) + "\"}"), ContentType: Oci);
        yield return new("PUT", $"/v2/{Repo}/manifests/nested", 400, "MANIFEST_INVALID", Body: Nested(64), ContentType: Oci, Note: "64 levels of arrays");
        yield return new("PUT", $"/v2/{Repo}/manifests/nested", 400, "MANIFEST_INVALID", Body: Nested(10_000), ContentType: Oci, Note: "10000 levels of arrays");
        yield return new("PUT", $"/v2/{Repo}/manifests/nested", 400, "MANIFEST_INVALID", Body: "{\"a\":" + string.Concat(Enumerable.Repeat("{\"a\":", 500)) + "1" + new string('}', 501), ContentType: Oci, Note: "500 levels of objects");
        foreach (var (body, note) in new[]
        {
            ("", "empty"), ("{", "truncated"), ("null", "null"), ("[]", "an array"), ("\"manifest\"", "a string"), ("{}", "no schemaVersion"),
            ("{\"schemaVersion\":1,\"name\":\"corpus/app\",\"fsLayers\":[]}", "schema1"), ("{\"schemaVersion\":\"2\"}", "schemaVersion as a string"),
            ("{\"schemaVersion\":2,\"mediaType\":\"" + Oci + "\",\"layers\":[]}", "no config"),
            ("{\"schemaVersion\":2,\"mediaType\":\"" + Oci + "\",\"config\":{},\"layers\":{}}", "layers not an array"),
            (Manifest("sha256:../../etc/passwd", 2), "config digest is a path"), (Manifest("md5:d41d8cd98f00b204e9800998ecf8427e", 2), "config digest of an unknown algorithm"),
            (Manifest(s.Config, -1, (s.Layer, layerSize)), "negative size"), ("\uFEFF" + good, "byte-order mark"), (good + "garbage", "trailing garbage"),
            ("{\"schemaVersion\":2,\"mediaType\":\"" + OciIndex + "\",\"manifests\":\"x\"}", "index without a manifests array"),
        })
            yield return new("PUT", $"/v2/{Repo}/manifests/bad", body.Length == 0 ? 400 : 400, "MANIFEST_INVALID", Body: body, ContentType: Oci, Note: note);
        yield return new("PUT", $"/v2/{Repo}/manifests/bad", 400, "MANIFEST_INVALID", Bytes: [0xff, 0xfe, 0x00, 0x7b], ContentType: Oci, Note: "not UTF-8");
        yield return new("PUT", $"/v2/{Repo}/manifests/ghost", 400, "MANIFEST_BLOB_UNKNOWN", Body: Manifest(s.Config, configSize, (Unknown, 11)), ContentType: Oci, Note: "a layer nobody pushed");
        yield return new("PUT", $"/v2/{Repo}/manifests/stolen", 400, "MANIFEST_BLOB_UNKNOWN", Body: Manifest(s.Config, configSize, (s.OtherBlob, s.OtherBlobContent.Length)), ContentType: Oci, Note: "another repository's blob");
        yield return new("PUT", $"/v2/{Other}/manifests/stolen", 400, "MANIFEST_BLOB_UNKNOWN", Body: good, ContentType: Oci, Note: "corpus/app's blobs from corpus/other");
        yield return new("PUT", $"/v2/{Other}/manifests/index", 400, "MANIFEST_BLOB_UNKNOWN", ContentType: OciIndex, Note: "an index of another repository's manifest",
            Body: $$"""{"schemaVersion":2,"mediaType":"{{OciIndex}}","manifests":[{"mediaType":"{{Oci}}","digest":"{{s.ManifestDigest}}","size":{{s.Image.Manifest.Length}}}]}""");

        // Tags.
        foreach (var tag in new[] { new string('t', 129), ".hidden", "-dash", "a/b", "tag\u00e9", "t\u200Dag", "tag\u0000" })
            yield return new("PUT", $"/v2/{Repo}/manifests/{tag}", tag.Contains('/') ? 404 : 400, tag.Contains('/') ? "NOT_FOUND" : "TAG_INVALID", Body: good, ContentType: Oci, Note: "tag " + Printable(tag));

        // Query numbers.
        foreach (var n in new[] { "-1", "abc", "1e3", "99999999999", "1.5", "0x10", " 5", "%2D1", "100001" })
            yield return new("GET", $"/v2/{Repo}/tags/list?n={n}", 400, "PAGINATION_NUMBER_INVALID", Note: "n=" + n);
        yield return new("GET", $"/v2/_catalog?n=-5", 400, "PAGINATION_NUMBER_INVALID");
        yield return new("GET", $"/v2/_catalog?last=" + new string('z', 600), 400, "PAGINATION_NUMBER_INVALID");

        // Range on blobs.
        yield return new("GET", $"/v2/{Repo}/blobs/{s.Layer}", 416, null, Headers: "Range: bytes=500-0", Note: "inverted range");
        yield return new("GET", $"/v2/{Repo}/blobs/{s.Layer}", 416, null, Headers: "Range: bytes=999999-1000000", Note: "past the end");
        yield return new("GET", $"/v2/{Repo}/blobs/{s.Layer}", 200, null, Headers: "Range: lines=0-1", Note: "unknown unit ignored");
        yield return new("GET", $"/v2/{Repo}/blobs/{s.Layer}", 200, null, Headers: "Range: bytes=abc", Note: "malformed range ignored");

        // Methods and routes that do not exist.
        yield return new("TRACE", $"/v2/{Repo}/manifests/1.0", 405, "UNSUPPORTED");
        yield return new("POST", $"/v2/{Repo}/manifests/1.0", 405, "UNSUPPORTED", Body: good, ContentType: Oci);
        yield return new("PUT", "/v2/_catalog", 405, "UNSUPPORTED");
        yield return new("GET", $"/v2/{Repo}/blobs/", 404, "NOT_FOUND");
        yield return new("GET", $"/v2/{Repo}/nothing/here", 404, "NOT_FOUND");

        // Who is asking: missing, forged, expired and misdirected credentials.
        foreach (var who in new[] { As.Nobody, As.Forged, As.Expired, As.OtherScope, As.AnonymousToken, As.Basic })
        {
            yield return new("GET", $"/v2/{Repo}/manifests/1.0", 401, "UNAUTHORIZED", who);
            yield return new("HEAD", $"/v2/{Repo}/blobs/{s.Layer}", 401, null, who);
            yield return new("POST", $"/v2/{Repo}/blobs/uploads/", 401, "UNAUTHORIZED", who);
            yield return new("PUT", $"/v2/{Repo}/manifests/evil", 401, "UNAUTHORIZED", who, Body: good, ContentType: Oci);
            yield return new("DELETE", $"/v2/{Repo}/manifests/{s.ManifestDigest}", 401, "UNAUTHORIZED", who);
            yield return new("GET", "/v2/_catalog", 401, "UNAUTHORIZED", who);
        }
        foreach (var who in new[] { As.Forged, As.Expired, As.Basic })
            yield return new("GET", "/v2/", 401, "UNAUTHORIZED", who);
        yield return new("GET", $"/v2/{Repo}/tags/list?access_token=anything", 401, "UNAUTHORIZED", As.Nobody, Note: "a token in the query is not read");
        yield return new("GET", $"/v2/{Repo}/tags/list", 401, "UNAUTHORIZED", As.Nobody, Headers: "Authorization: Bearer", Note: "a scheme without a token");
        yield return new("GET", $"/v2/{Repo}/tags/list", 401, "UNAUTHORIZED", As.Nobody, Headers: "Authorization: Bearer a.b.c", Note: "three garbage parts");
        yield return new("GET", $"/v2/{Repo}/tags/list", 401, "UNAUTHORIZED", As.Nobody, Headers: "Authorization: Negotiate abc");
        yield return new("GET", $"/v2/{Repo}/tags/list", 401, "UNAUTHORIZED", As.Nobody, Headers: "Authorization: Bearer " + new string('A', 20_000), Note: "huge token");
        yield return new("GET", $"/v2/{Repo}/tags/list", 200, null, As.PullOnly);
        yield return new("POST", $"/v2/{Repo}/blobs/uploads/", 403, "DENIED", As.PullOnly);
        yield return new("PUT", $"/v2/{Repo}/manifests/evil", 403, "DENIED", As.PullOnly, Body: good, ContentType: Oci);
        yield return new("DELETE", $"/v2/{Repo}/manifests/{s.ManifestDigest}", 403, "DENIED", As.PullOnly);
        yield return new("DELETE", $"/v2/{Repo}/blobs/{s.Layer}", 403, "DENIED", As.PullOnly);
        yield return new("PATCH", $"/v2/{Repo}/blobs/uploads/{{upload}}", 403, "DENIED", As.PullOnly, Bytes: [1], Note: "someone else's session");
        yield return new("GET", "/v2/_catalog", 403, "DENIED", As.PullOnly);
        yield return new("GET", "/auth/token?service=wharf&scope=repository:corpus/app:push", 401, "UNAUTHORIZED", As.Nobody,
            Headers: "Authorization: Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("admin:wrong-password")), Note: "token request with a wrong password");
        yield return new("GET", "/auth/token?service=wharf", 401, "UNAUTHORIZED", As.Nobody, Headers: "Authorization: Basic %%%not-base64%%%", Note: "token request with broken Basic");
        yield return new("GET", "/auth/token?service=other", 400, "UNSUPPORTED", As.Nobody, Note: "token for another service");
        yield return new("POST", "/auth/token", 400, "UNSUPPORTED", As.Nobody, Body: "{\"grant_type\":\"password\"}", ContentType: "application/json", Note: "token request as JSON");
    }

    private static string Printable(string text) =>
        string.Concat(text.Take(40).Select(c => c < 32 || c > 126 ? $"\\u{(int)c:X4}" : c.ToString())) + (text.Length > 40 ? "…" : "");

    // ---------------------------------------------------------------- running it

    [Fact]
    public async Task Every_hostile_request_gets_the_right_answer_and_leaves_the_registry_intact()
    {
        var rows = Corpus().ToList();
        Assert.True(rows.Count >= 150, $"the corpus has {rows.Count} requests");
        var before = Snapshot(DataRoot);
        var failures = new List<string>();
        foreach (var row in rows)
        {
            var response = await SendAsync(row);
            var problem = Check(row, response);
            if (problem is not null) failures.Add($"{row}: {problem}");
        }
        output.WriteLine($"{rows.Count} hostile requests, {failures.Count} wrong answers");
        Assert.True(failures.Count == 0, string.Join('\n', failures));

        // Nothing beside the data root; nothing in it outside Wharf's own directories.
        Assert.Equal(["root"], Directory.GetFileSystemEntries(_sandbox.Path).Select(p => Path.GetFileName(p)!).ToArray());
        var after = Snapshot(DataRoot);
        Assert.All(after.Keys.Except(before.Keys), path => Assert.True(
            path.StartsWith("docker/registry/v2/_wharf/", StringComparison.Ordinal) || path.StartsWith("docker/registry/v2/blobs/", StringComparison.Ordinal) || path.StartsWith("wharf/", StringComparison.Ordinal),
            $"a hostile request left {path}"));
        // Every blob in the store still hashes to its path.
        foreach (var blob in after.Keys.Where(p => p.StartsWith("docker/registry/v2/blobs/sha256/", StringComparison.Ordinal) && p.EndsWith("/data", StringComparison.Ordinal)))
        {
            var hex = blob.Split('/')[^2];
            Assert.Equal(hex, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(DataRoot, blob)))));
        }

        // The content pushed before is all there.
        using var client = _wharf.ClientWith(AccessHost.Bearer(AdminToken(Repo)));
        Assert.Equal(["1.0"], await client.TagsAsync(Repo));
        using var manifest = await client.GetAsync($"/v2/{Repo}/manifests/1.0");
        Assert.Equal(_seed.Image.Manifest, await manifest.Content.ReadAsByteArrayAsync());
        foreach (var blob in _seed.Image.Blobs)
        {
            using var response = await client.GetAsync($"/v2/{Repo}/blobs/{Digests.Sha256(blob)}");
            Assert.Equal(blob, await response.Content.ReadAsByteArrayAsync());
        }
        using var catalog = _wharf.ClientWith(AccessHost.Bearer(AdminToken(null)));
        // corpus/other holds a blob but no manifest (every manifest pushed at it was refused), so it is not listed.
        Assert.Equal([Repo], await catalog.CatalogAsync());
    }

    private static string? Check(Row row, RawResponse response)
    {
        if (response.Status >= 500) return $"answered {response.Status}: {response.Body}";
        if (response.Status != row.Status) return $"expected {row.Status} {row.Code}, got {response.Status}: {Cut(response.Body)}";
        if (row.Code is null) return null;
        if (response.ContentType?.StartsWith("application/json", StringComparison.Ordinal) != true) return $"expected a JSON error, got {response.ContentType}";
        try
        {
            var errors = RegistryClient.ParseErrors(response.Body);
            return errors.Count > 0 && errors[0].Code == row.Code ? null : $"expected {row.Code}, got {Cut(response.Body)}";
        }
        catch (Exception e)
        {
            return $"not the spec's error body ({e.Message}): {Cut(response.Body)}";
        }
    }

    private static string Cut(string text) => text.Length > 300 ? text[..300] + "…" : text;

    private async Task<RawResponse> SendAsync(Row row)
    {
        var path = row.Path.Contains("{upload}") ? row.Path.Replace("{upload}", await StartUploadAsync(0))
            : row.Path.Contains("{upload10}") ? row.Path.Replace("{upload10}", await StartUploadAsync(10))
            : row.Path;
        var body = row.Bytes ?? (row.Body is null ? null : Encoding.UTF8.GetBytes(row.Body));
        var repository = RepositoryOf(path);
        return await _wharf.Host.SendRawAsync(row.Method, path, c =>
        {
            if (Token(row.Who, repository) is { } token) c.Request.Headers.Authorization = (row.Who == As.Basic ? "Basic " : "Bearer ") + token;
            if (row.Headers is { } header)
            {
                var colon = header.IndexOf(':');
                c.Request.Headers[header[..colon]] = header[(colon + 1)..].Trim();
            }
            if (row.ContentType is not null) c.Request.ContentType = row.ContentType;
            if (body is null) return;
            c.Request.Body = new MemoryStream(body);
            c.Request.ContentLength = body.Length;
            c.Request.ContentType ??= "application/octet-stream";
        });
    }

    /// <summary>A fresh upload session of corpus/app holding <paramref name="bytes"/> bytes; its id.</summary>
    private async Task<string> StartUploadAsync(int bytes)
    {
        using var client = _wharf.ClientWith(AccessHost.Bearer(AdminToken(Repo)));
        var location = await client.StartUploadAsync(Repo);
        if (bytes > 0)
        {
            using var content = RegistryClient.Bytes(new byte[bytes]);
            using var patch = await client.PatchAsync(location, content);
            Assert.Equal(System.Net.HttpStatusCode.Accepted, patch.StatusCode);
        }
        return location.Split('/')[^1].Split('?')[0];
    }

    private static string? RepositoryOf(string path)
    {
        foreach (var marker in new[] { "/manifests/", "/blobs/", "/tags/", "/referrers/" })
        {
            var index = path.IndexOf(marker, StringComparison.Ordinal);
            if (path.StartsWith("/v2/", StringComparison.Ordinal) && index > 4) return path[4..index];
        }
        return null;
    }

    private string AdminToken(string? repository) => Token(As.Admin, repository)!;

    private string? Token(As who, string? repository)
    {
        var tokens = _wharf.Services.GetRequiredService<RegistryTokens>();
        var admin = new RegistryIdentity(AdminId(), AccessHost.AdminUser, ["Admin"]);
        List<RegistryScope> Scopes(string? name) =>
            [new(RegistryScope.RegistryType, RegistryScope.CatalogName, ["*"]), .. name is null ? [] : new[] { new RegistryScope(RegistryScope.RepositoryType, name, ["pull", "push", "delete"]) }];
        return who switch
        {
            As.Admin => tokens.IssueAccess(admin, Scopes(repository)).Token,
            As.Forged => new RegistryTokens(new AccessSettings(), _forgersKey.Path, TimeProvider.System).IssueAccess(admin, Scopes(repository)).Token,
            As.Expired => new RegistryTokens(new AccessSettings(), _wharf.Services.GetRequiredService<RegistrySigningKey>().Key, new FixedTime(DateTimeOffset.UtcNow.AddHours(-1))).IssueAccess(admin, Scopes(repository)).Token,
            As.OtherScope => tokens.IssueAccess(admin, [new(RegistryScope.RepositoryType, Other, ["pull", "push", "delete"])]).Token,
            As.PullOnly => tokens.IssueAccess(new RegistryIdentity(ReaderId(), "reader", ["Viewer"]), repository is null ? [] : [new(RegistryScope.RepositoryType, repository, ["pull"])]).Token,
            As.AnonymousToken => tokens.IssueAccess(null, []).Token,
            As.Basic => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{AccessHost.AdminUser}:{AccessHost.AdminPassword}")),
            _ => null,
        };
    }

    private string? _adminId, _readerId;
    private string AdminId() => _adminId ??= UserId(AccessHost.AdminUser);
    private string ReaderId() => _readerId ??= UserId("reader");

    private string UserId(string name)
    {
        using var scope = _wharf.Services.CreateScope();
        return scope.ServiceProvider.GetRequiredService<PortalDbContext>().Users.Single(u => u.UserName == name).Id;
    }

    /// <summary>Every file under a directory, by relative path with '/' separators.</summary>
    private static Dictionary<string, long> Snapshot(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(root, f).Replace('\\', '/'), f => new FileInfo(f).Length);
}
