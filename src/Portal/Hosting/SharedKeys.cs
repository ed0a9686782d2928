using System.Security.Cryptography;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;
using Wharf.Portal.Access;
using Wharf.Portal.Data;
using Microsoft.Extensions.Options;
using Wharf.Registry.Cluster;
using Wharf.Registry.Configuration;

namespace Wharf.Portal.Hosting;

/// <summary>
/// The keys every instance must share, kept in the portal database: Data Protection's key ring (sign-in cookies,
/// antiforgery, upstream passwords encrypted at rest) and the registry tokens' signing key. At start, under the
/// cluster-wide "shared-keys" lease, the first instance of a deployment creates them (or brings in the ones an
/// earlier release kept in the data directory, so that nobody is signed out and no stored password becomes
/// unreadable); every instance then reads the same ones.
/// </summary>
public sealed partial class SharedKeys(
    PortalDbContext db,
    IKeyManager keyManager,
    ClusterLeases leases,
    RegistrySigningKey signingKey,
    TimeProvider time,
    IOptions<RegistryOptions> registry,
    IOptions<KeyManagementOptions> keyManagement,
    ILogger<SharedKeys> logger)
{
    public const string RegistryTokenKey = "registry-token";

    /// <summary>Where an earlier release kept the key ring: one XML file per key.</summary>
    public static string KeyRingDirectory(string dataDirectory) => Path.Combine(dataDirectory, "keys");

    /// <summary>Where an earlier release kept the token signing key.</summary>
    public static string SigningKeyFile(string dataDirectory) => Path.Combine(dataDirectory, RegistryTokens.KeyFileName);

    public async Task InitializeAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        if (registry.Value.StoreReadOnly)
        {
            await LoadReadOnlyAsync(dataDirectory, cancellationToken);
            return;
        }

        var wait = TimeSpan.FromMinutes(2);
        await using var lease = await leases.AcquireAsync("shared-keys", wait, cancellationToken)
            ?? throw new InvalidOperationException($"another Wharf instance has been creating the shared keys for over {wait.TotalMinutes:0} minutes; is it stuck?");

        if (!await db.DataProtectionKeys.AnyAsync(cancellationToken))
        {
            var imported = await ImportKeyRingAsync(dataDirectory, cancellationToken);
            if (imported > 0) LogKeyRingImported(logger, imported, KeyRingDirectory(dataDirectory));
            else
            {
                // Created here, under the lease, rather than by whichever instance first protects something: two
                // instances starting at once would otherwise each make a key and, for a while, not read the other's.
                var now = time.GetUtcNow();
                keyManager.CreateNewKey(now, now.AddDays(90));
            }
        }

        var stored = await db.SigningKeys.FindAsync([RegistryTokenKey], cancellationToken);
        if (stored is null)
        {
            var (pem, file) = await EarlierOrNewSigningKeyAsync(dataDirectory, cancellationToken);
            stored = new SigningKey { Name = RegistryTokenKey, Pem = pem, CreatedAt = time.GetUtcNow().UtcDateTime };
            db.SigningKeys.Add(stored);
            await db.SaveChangesAsync(cancellationToken);
            if (file is not null) LogSigningKeyImported(logger, file);
        }
        signingKey.Load(stored.Pem);
    }

    /// <summary>
    /// On a read-only store nothing is written and no lease is taken (its lock file could not be made): the keys in the
    /// database are used; missing ones are read from an earlier release's files or, failing that, made in memory
    /// (<see cref="ReadOnlyKeyRing"/>), so sign-ins and tokens of this run do not survive a restart.
    /// </summary>
    private async Task LoadReadOnlyAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        if (!await db.DataProtectionKeys.AnyAsync(cancellationToken))
        {
            var ring = keyManagement.Value.XmlRepository ?? throw new InvalidOperationException("Data Protection has no key repository");
            var files = KeyRingFiles(dataDirectory);
            foreach (var file in files) ring.StoreElement(XElement.Load(file), Path.GetFileNameWithoutExtension(file));
            if (files.Length == 0)
            {
                var now = time.GetUtcNow();
                keyManager.CreateNewKey(now, now.AddDays(90));
            }
            LogReadOnlyKeyRing(logger, files.Length);
        }

        var stored = await db.SigningKeys.FindAsync([RegistryTokenKey], cancellationToken);
        var pem = stored?.Pem;
        if (pem is null)
        {
            (pem, var file) = await EarlierOrNewSigningKeyAsync(dataDirectory, cancellationToken);
            if (file is null) LogReadOnlySigningKey(logger);
        }
        signingKey.Load(pem);
    }

    /// <summary>An earlier release's key ring files (none when it kept none).</summary>
    private static string[] KeyRingFiles(string dataDirectory)
    {
        var directory = KeyRingDirectory(dataDirectory);
        return Directory.Exists(directory) ? Directory.GetFiles(directory, "*.xml") : [];
    }

    /// <summary>An earlier release's signing key with the file it came from, else a new key (and no file).</summary>
    private static async Task<(string Pem, string? File)> EarlierOrNewSigningKeyAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        var file = SigningKeyFile(dataDirectory);
        try
        {
            return (await File.ReadAllTextAsync(file, cancellationToken), file);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return (NewSigningKeyPem(), null);
        }
    }

    private async Task<int> ImportKeyRingAsync(string dataDirectory, CancellationToken cancellationToken)
    {
        var files = KeyRingFiles(dataDirectory);
        if (files.Length == 0) return 0;
        foreach (var file in files)
        {
            // As Data Protection's own EF Core repository stores an element: its file name, the XML unformatted.
            var xml = XElement.Load(file).ToString(SaveOptions.DisableFormatting);
            db.DataProtectionKeys.Add(new DataProtectionKey { FriendlyName = Path.GetFileNameWithoutExtension(file), Xml = xml });
        }
        await db.SaveChangesAsync(cancellationToken);
        return files.Length;
    }

    private static string NewSigningKeyPem()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return key.ExportPkcs8PrivateKeyPem();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Moved {Count} Data Protection keys from {Directory} into the portal database, which every instance reads them from now")]
    private static partial void LogKeyRingImported(ILogger logger, int count, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "Moved the registry token signing key from {File} into the portal database, which every instance reads it from now")]
    private static partial void LogSigningKeyImported(ILogger logger, string file);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The store is read-only and the portal database holds no Data Protection key: using {Count} key files of an earlier release, or a new key kept in memory if none; portal sign-ins made now do not survive a restart")]
    private static partial void LogReadOnlyKeyRing(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The store is read-only and the portal database holds no registry token signing key: signing with a key kept in memory; tokens issued now stop being valid when Wharf restarts (clients ask for new ones)")]
    private static partial void LogReadOnlySigningKey(ILogger logger);
}
