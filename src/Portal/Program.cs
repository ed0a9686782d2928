using Wharf.Portal.Hosting;

// wharf                      serve with appsettings.json / Wharf__* / REGISTRY_* settings
// wharf serve config.yml     serve with a distribution-style config file
// wharf import config.yml    import a registry:2 data directory's metadata, then exit
return await WharfCommandLine.RunAsync(args);
