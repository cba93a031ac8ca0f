"""Patrolling: station areas and beats on the map, the points a beat's patrol checks in at, the
patrol units (Blue Colts motorcycles, patrol cars, highway patrols) with their crews and
shifts, and where each unit is, reported by its own tracker."""
