// Placeholder until the hosting lands: see proxy/Hosting.
return 0;
