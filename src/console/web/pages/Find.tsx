/** Find: any kind of object, by text and state. */
import { Heading, Select, SelectItem } from '@carbon/react';
import { collection, COLLECTIONS } from '../collections';
import { ObjectSearch } from '../components/ObjectSearch';
import { navigate, useLocation } from '../router';

export function FindPage() {
  const { params } = useLocation();
  const c = collection(params.get('in') ?? '') ?? COLLECTIONS[0]!;
  return (
    <section>
      <Heading className="console-title">Find</Heading>
      <ObjectSearch
        key={c.name}
        collection={c}
        toolbar={
          <Select id="find-in" labelText="Find" value={c.name} onChange={(e) => navigate(`/console/find?in=${e.target.value}`, true)} size="lg">
            {COLLECTIONS.map((x) => (
              <SelectItem key={x.name} value={x.name} text={x.label} />
            ))}
          </Select>
        }
      />
    </section>
  );
}
