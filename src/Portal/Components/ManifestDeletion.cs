using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.Options;
using Wharf.Portal.Accounts;
using Wharf.Portal.Audit;
using Wharf.Portal.Data;
using Wharf.Registry;
using Wharf.Registry.Configuration;
using Wharf.Registry.Manifests;

namespace Wharf.Portal.Components;

public sealed record DeletionResult(bool Succeeded, string Message);

/// <summary>
/// Deleting a manifest from the portal. It runs the same engine operation as <c>DELETE /v2/&lt;name&gt;/manifests/&lt;digest&gt;</c>
/// (so storage.delete.enabled and the audit trail apply alike), after checking on the server that the signed-in user is an Admin.
/// </summary>
public sealed class ManifestDeletion(
    EngineCalls engine, AuthenticationStateProvider authentication, IOptions<RegistryOptions> options,
    AuditLog audit, IHttpContextAccessor http)
{
    public bool DeleteEnabled => options.Value.DeleteEnabled;

    public string? DisabledReason => DeleteEnabled ? null
        : "Deleting is turned off on this registry (storage.delete.enabled: false, or REGISTRY_STORAGE_DELETE_ENABLED=false).";

    public Task<List<string>> TagsGoingWithAsync(string repository, string digest) =>
        engine.RunAsync<ManifestService, List<string>>(s => s.TagsOfAsync(repository, digest, CancellationToken.None));

    public async Task<DeletionResult> DeleteAsync(string repository, string digest)
    {
        var user = (await authentication.GetAuthenticationStateAsync()).User;
        var name = user.Identity?.Name ?? "anonymous";
        if (!user.IsInRole(Roles.Admin))
        {
            audit.Record(name, "manifest.delete", AuditOutcome.Failure, repository, digest, "denied: Admin role required");
            return new DeletionResult(false, "Only an Admin may delete manifests.");
        }
        var caller = new RegistryCaller(name, http.HttpContext?.Connection.RemoteIpAddress?.ToString());
        try
        {
            var deleted = await engine.RunAsync<ManifestService, bool>(s => s.DeleteAsync(repository, digest, caller, CancellationToken.None));
            return deleted ? new DeletionResult(true, $"Deleted {digest} from {repository}.") : new DeletionResult(false, "That manifest no longer exists.");
        }
        catch (RegistryException e)
        {
            audit.Record(name, "manifest.delete", AuditOutcome.Failure, repository, digest, e.Message);
            return new DeletionResult(false, e.Message);
        }
    }
}
