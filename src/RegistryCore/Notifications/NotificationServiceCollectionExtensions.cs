using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Wharf.Registry.Notifications;

public static class NotificationServiceCollectionExtensions
{
    /// <summary>distribution's notifications: the durable queue (an event sink for the host to wire), its dispatcher and the status for the portal.</summary>
    /// <exception cref="InvalidDataException">The notifications section is invalid.</exception>
    public static IServiceCollection AddWharfNotifications(this IServiceCollection services, IConfiguration configuration)
    {
        var endpoints = NotificationSettings.Bind(configuration);
        services.AddHttpContextAccessor();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => ActivatorUtilities.CreateInstance<NotificationQueue>(sp, endpoints));
        // The engine's ledger writes a change's notifications in the change's own transaction.
        services.AddSingleton<Events.IEventOutbox>(sp => sp.GetRequiredService<NotificationQueue>());
        services.AddSingleton<NotificationStatus>();
        services.AddHttpClient(NotificationDispatcher.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan);
        if (endpoints.Count > 0) services.AddHostedService<NotificationDispatcher>();
        return services;
    }
}
