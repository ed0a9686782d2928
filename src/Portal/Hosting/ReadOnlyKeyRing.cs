using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Wharf.Portal.Hosting;

/// <summary>
/// Data Protection's key ring when Wharf was started on a read-only store: the keys already in the portal database,
/// plus any made at this start, which are kept in memory only (nothing can be written). Data Protection has no
/// read-only repository of its own, hence this small wrapper.
/// </summary>
public sealed class ReadOnlyKeyRing(IXmlRepository stored) : IXmlRepository
{
    private readonly List<XElement> _inMemory = [];

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        lock (_inMemory) return [.. stored.GetAllElements(), .. _inMemory];
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        lock (_inMemory) _inMemory.Add(new XElement(element));
    }
}
