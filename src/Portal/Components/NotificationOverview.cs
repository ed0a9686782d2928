using Microsoft.AspNetCore.Components.Authorization;
using Wharf.Portal.Accounts;
using Wharf.Registry.Notifications;

namespace Wharf.Portal.Components;

/// <summary>
/// The notifications page's one read: every configured endpoint's queue and last outcomes, from the engine's
/// <see cref="NotificationStatus"/>, for an Admin only (checked at the moment of reading, like every Admin page's
/// data: endpoint URLs and error texts can name internal hosts).
/// </summary>
public sealed class NotificationOverview(NotificationStatus status, AuthenticationStateProvider authentication, AdminGate gate)
{
    /// <summary>The endpoints' states, or null when the signed-in user is not an Admin now.</summary>
    public async Task<IReadOnlyList<NotificationEndpointStatus>?> ReadAsync(CancellationToken cancellationToken)
    {
        var user = (await authentication.GetAuthenticationStateAsync()).User;
        if (!await gate.IsAdminNowAsync(user, cancellationToken)) return null;
        return await status.GetAsync(cancellationToken);
    }
}
