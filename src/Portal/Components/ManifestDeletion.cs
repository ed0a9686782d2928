using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;
using Wharf.Portal.Accounts;
using Wharf.Portal.Audit;
using Wharf.Portal.Data;
using Wharf.Registry;
using Wharf.Registry.Browse;
using Wharf.Registry.Configuration;
using Wharf.Registry.Manifests;

namespace Wharf.Portal.Components;

public sealed record DeletionResult(bool Succeeded, string Message);

/// <summary>
/// Deleting a manifest, or one tag, from the portal. It runs the same engine operation as
/// <c>DELETE /v2/&lt;name&gt;/manifests/&lt;reference&gt;</c> (so storage.delete.enabled and the audit trail apply
/// alike), after the Admin check at the moment it runs.
/// </summary>
public sealed class ManifestDeletion(
    EngineCalls engine, VisibleRegistry registry, AuthenticationStateProvider authentication, IOptions<RegistryOptions> options,
    AdminGate gate, AuditLog audit, IHttpContextAccessor http)
{
    public bool DeleteEnabled => options.Value.DeleteEnabled;

    public string? DisabledReason => DeleteEnabled ? null
        : "Deleting is turned off on this registry (storage.delete.enabled: false, or REGISTRY_STORAGE_DELETE_ENABLED=false).";

    /// <summary>What a delete by digest takes with it: its tags, and the platform manifests and referrers it leaves unreferenced.</summary>
    public Task<ManifestDetails?> WhatGoesAsync(string repository, string digest) =>
        registry.ReadAsync((b, v, c) => b.ManifestAsync(v, repository, digest, c));

    public Task<DeletionResult> DeleteAsync(string repository, string digest) =>
        RunAsync(repository, digest, "manifest.delete", deleted => deleted
            ? $"Deleted {digest} from {repository}."
            : "That manifest no longer exists.");

    /// <summary>Removes one tag; the manifest stays (with its other tags, or untagged).</summary>
    public Task<DeletionResult> DeleteTagAsync(string repository, string tag) =>
        RunAsync(repository, tag, "tag.delete", deleted => deleted
            ? $"Removed the tag {tag} from {repository}; the manifest stays."
            : "That tag no longer exists.");

    private async Task<DeletionResult> RunAsync(string repository, string reference, string action, Func<bool, string> message)
    {
        var user = (await authentication.GetAuthenticationStateAsync()).User;
        var name = AdminGate.ActorName(user);
        if (!await gate.AllowsAsync(user, action, repository, reference)) return new DeletionResult(false, "Only an Admin may delete.");
        var caller = new RegistryCaller(name, http.HttpContext?.Connection.RemoteIpAddress?.ToString());
        try
        {
            var deleted = await engine.RunAsync<ManifestService, bool>(s => s.DeleteAsync(repository, reference, caller, CancellationToken.None));
            return new DeletionResult(deleted, message(deleted));
        }
        catch (RegistryException e)
        {
            audit.Record(name, action, AuditOutcome.Failure, repository, reference, e.Message);
            return new DeletionResult(false, e.Message);
        }
    }
}
