package kind

import (
	"fmt"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/wasmbed/wasmbed/harness/images"
)

// ManifestsDir is the kustomization of the SUT, relative to the repository.
const ManifestsDir = "sut/config"

// Manifests are the SUT's rendered objects, split so the CRDs can be
// applied (and established) before the objects of their kinds.
type Manifests struct {
	CRDs    []*unstructured.Unstructured
	Objects []*unstructured.Unstructured
}

// Render builds the kustomization in <root>/sut/config, as `kubectl
// kustomize` would, and points the SUT's containers at the images of set.
func Render(root string, set images.Set) (*Manifests, error) {
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	resMap, err := k.Run(filesys.MakeFsOnDisk(), filepath.Join(root, ManifestsDir))
	if err != nil {
		return nil, fmt.Errorf("kustomize %s: %w", ManifestsDir, err)
	}
	out, err := resMap.AsYaml()
	if err != nil {
		return nil, err
	}
	m := &Manifests{}
	for _, doc := range strings.Split(string(out), "\n---\n") {
		if strings.TrimSpace(doc) == "" {
			continue
		}
		js, err := yaml.YAMLToJSON([]byte(doc))
		if err != nil {
			return nil, fmt.Errorf("rendered manifest: %w", err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(js); err != nil {
			return nil, fmt.Errorf("rendered manifest: %w", err)
		}
		if err := setImages(u, set); err != nil {
			return nil, err
		}
		if u.GetKind() == "CustomResourceDefinition" {
			m.CRDs = append(m.CRDs, u)
		} else {
			m.Objects = append(m.Objects, u)
		}
	}
	return m, nil
}

// setImages replaces wasmbed/<component>:<any tag> with the built tag.
func setImages(u *unstructured.Unstructured, set images.Set) error {
	if u.GetKind() != "Deployment" {
		return nil
	}
	cs, found, err := unstructured.NestedSlice(u.Object, "spec", "template", "spec", "containers")
	if err != nil || !found {
		return err
	}
	for i, c := range cs {
		cm, ok := c.(map[string]any)
		if !ok {
			continue
		}
		img, _ := cm["image"].(string)
		repo, _, _ := strings.Cut(img, ":")
		component, ok := strings.CutPrefix(repo, images.Repository+"/")
		if !ok {
			continue
		}
		ref := set.Ref(component)
		if ref == "" {
			return fmt.Errorf("%s %s runs %s, which harness/images does not build", u.GetKind(), u.GetName(), img)
		}
		cm["image"] = ref
		cs[i] = cm
	}
	return unstructured.SetNestedSlice(u.Object, cs, "spec", "template", "spec", "containers")
}
